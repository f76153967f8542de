/**
 * The finished media files of the recordings folder, kept current: what Go Live can publish and
 * what a scene can play (a file still being recorded is not a show yet).
 */
import { useEffect, useState } from "react";
import type { LibraryFile } from "../../../shared/recordings";
import { useHost } from "../stores/host";

/** The recordings folder's files that are not being recorded, reloaded on every library change. */
export function useFinishedRecordings(): LibraryFile[] {
	const api = useHost((s) => s.api);
	const [files, setFiles] = useState<LibraryFile[]>([]);
	useEffect(() => {
		if (!api) return;
		let current = true;
		const load = () =>
			api.invoke("recordings.library", {}).then(
				(listing) => current && setFiles(listing.files.filter((f) => f.state !== "recording")),
				() => undefined,
			);
		void load();
		const off = api.on("recordings.library.changed", () => void load());
		return () => {
			current = false;
			off();
		};
	}, [api]);
	return files;
}
