/**
 * The Electron entry, deliberately thin: app lifecycle, the one window with Electron's security
 * checklist applied, and the wiring of the engine to the IPC host. Everything else lives in
 * `electron/engine`, which runs (and is tested) without Electron.
 */
import { app, BrowserWindow, desktopCapturer, ipcMain, powerMonitor, safeStorage, session, shell, type WebContents } from "electron";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Studio } from "./engine/studio";
import { captureLibraryConsole } from "./engine/transport/library-console";
import { registerIpcHost, trustPage } from "./ipc/host";
import { SafeStorageSecretStore } from "./ipc/safe-storage";
import { CONTENT_SECURITY_POLICY } from "./web/static";

const rendererIndex = join(import.meta.dirname, "../renderer/index.html");
const pageUrl = pathToFileURL(rendererIndex).toString();
const isOwnPage = trustPage(pageUrl);

function harden(contents: WebContents): void {
	// No navigation anywhere and no new windows: links to the web open in the user's browser.
	contents.on("will-navigate", (event) => event.preventDefault());
	contents.on("will-redirect", (event) => event.preventDefault());
	contents.on("will-attach-webview", (event) => event.preventDefault());
	contents.setWindowOpenHandler(({ url }) => {
		if (url.startsWith("https://")) void shell.openExternal(url);
		return { action: "deny" };
	});
}

function createWindow(): BrowserWindow {
	const win = new BrowserWindow({
		width: 1280,
		height: 820,
		minWidth: 900,
		minHeight: 600,
		title: "MoQ Studio",
		backgroundColor: "#0f1115",
		show: false,
		webPreferences: {
			preload: join(import.meta.dirname, "../preload/index.cjs"),
			contextIsolation: true,
			sandbox: true,
			nodeIntegration: false,
			nodeIntegrationInWorker: false,
			nodeIntegrationInSubFrames: false,
			webSecurity: true,
			allowRunningInsecureContent: false,
			webviewTag: false,
			experimentalFeatures: false,
			navigateOnDragDrop: false,
			spellcheck: false,
		},
	});
	harden(win.webContents);
	win.once("ready-to-show", () => win.show());
	void win.loadFile(rendererIndex);
	return win;
}

app.enableSandbox();

void app.whenReady().then(() => {
	const ses = session.defaultSession;
	ses.webRequest.onHeadersReceived((details, callback) => {
		callback({
			responseHeaders: { ...details.responseHeaders, "Content-Security-Policy": [CONTENT_SECURITY_POLICY] },
		});
	});
	// Capture devices only for our own page; every other permission is denied.
	const mediaOnly = new Set(["media", "display-capture"]);
	ses.setPermissionRequestHandler((contents, permission, callback, details) => {
		callback(mediaOnly.has(permission) && isOwnPage({ url: details.requestingUrl || contents.getURL() }));
	});
	ses.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) => {
		return mediaOnly.has(permission) && (details.isMainFrame ?? false) && requestingOrigin.startsWith("file://");
	});

	// Screen capture: the renderer picks a source through the contract (capture.sources/select);
	// getDisplayMedia from our own page then gets exactly that source, or the OS picker.
	let selectedSource: string | null = null;
	const listSources = () => desktopCapturer.getSources({ types: ["screen", "window"], thumbnailSize: { width: 320, height: 180 } });
	ses.setDisplayMediaRequestHandler(
		(request, callback) => {
			if (!isOwnPage({ url: request.frame?.url ?? "" })) return callback({});
			listSources().then(
				(sources) => {
					const chosen = sources.find((s) => s.id === selectedSource) ?? sources[0];
					callback(chosen ? { video: chosen } : {});
				},
				() => callback({}),
			);
		},
		{ useSystemPicker: true },
	);

	const studio = new Studio({
		host: "electron",
		dataDir: app.getPath("userData"),
		secrets: new SafeStorageSecretStore(safeStorage),
		embeddedRelay: {},
		recordingsDir: join(app.getPath("videos"), "MoQ Studio"),
		desktopCapture: {
			sources: async () =>
				(await listSources()).map((s) => ({
					id: s.id,
					name: s.name,
					kind: s.id.startsWith("screen:") ? "screen" : "window",
					thumbnail: s.thumbnail.isEmpty() ? null : s.thumbnail.toDataURL(),
				})),
			select: (id) => {
				selectedSource = id;
			},
		},
	});
	captureLibraryConsole(studio.logger.scope("moq"));
	const unregister = registerIpcHost(ipcMain, studio, isOwnPage);
	// A session that hung through sleep is the classic MoQ bug (moq-dev/moq #2609): probe on resume.
	powerMonitor.on("resume", () => studio.sessions.wake());
	powerMonitor.on("unlock-screen", () => studio.sessions.wake());
	studio.start().catch((err: unknown) => studio.logger.scope("main").error(`start failed: ${String(err)}`));
	createWindow();

	app.on("activate", () => {
		if (BrowserWindow.getAllWindows().length === 0) createWindow();
	});
	app.on("will-quit", () => {
		unregister();
		void studio.close();
	});
});

app.on("web-contents-created", (_event, contents) => harden(contents));

app.on("window-all-closed", () => {
	if (process.platform !== "darwin") app.quit();
});
