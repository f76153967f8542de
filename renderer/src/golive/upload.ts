/**
 * The web host's media upload from the page: a file the person picked in the browser goes into
 * the studio's recordings folder (`POST /upload`), where Go Live publishes it from. The token
 * travels in a header, the bytes as the body; the answer is validated like any contract result.
 */
import { TOKEN_KEY } from "../api/web-bridge";
import { StudioError, isStudioErrorInfo } from "../../../shared/errors";
import { UPLOAD_PATH, UPLOAD_TOKEN_HEADER, UploadedMediaFile } from "../../../shared/media-file";

/**
 * Uploads `file`; `onProgress` gets the fraction sent (0…1). Resolves with where the file landed
 * and what it holds; rejects with the host's typed error (LIMIT too large, MEDIA not media,
 * UNAUTHORIZED an outdated page) or CLOSED when the host could not be reached. `signal` aborts
 * the upload (CLOSED).
 */
export function uploadMediaFile(file: File, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<UploadedMediaFile> {
	return new Promise((resolve, reject) => {
		// XMLHttpRequest rather than fetch: only it reports how much of the body was sent.
		const xhr = new XMLHttpRequest();
		xhr.open("POST", `${UPLOAD_PATH}?name=${encodeURIComponent(file.name)}`);
		xhr.setRequestHeader(UPLOAD_TOKEN_HEADER, sessionStorage.getItem(TOKEN_KEY) ?? "");
		xhr.responseType = "json";
		xhr.upload.onprogress = (ev) => {
			if (ev.lengthComputable && ev.total > 0) onProgress(ev.loaded / ev.total);
		};
		xhr.onload = () => {
			const body = xhr.response as { ok?: unknown; result?: unknown; error?: unknown } | null;
			if (body?.ok === true) {
				const parsed = UploadedMediaFile.safeParse(body.result);
				if (parsed.success) return resolve(parsed.data);
			} else if (body?.ok === false && isStudioErrorInfo(body.error)) {
				return reject(StudioError.fromInfo(body.error));
			}
			reject(new StudioError("PROTOCOL", `the studio answered the upload with HTTP ${xhr.status} and no usable result`));
		};
		xhr.onerror = () => reject(new StudioError("CLOSED", "the upload did not reach the studio engine"));
		xhr.onabort = () => reject(new StudioError("CLOSED", "the upload was cancelled"));
		signal?.addEventListener("abort", () => xhr.abort(), { once: true });
		xhr.send(file);
	});
}
