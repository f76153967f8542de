/**
 * The Electron entry, deliberately thin: app lifecycle, the one window with Electron's security
 * checklist applied, and the wiring of the engine to the IPC host and of the busy state to the
 * shell units (electron/shell: single instance, power, safe quit, close to tray, tray,
 * notifications, menu). Everything else lives in `electron/engine`, which runs (and is tested)
 * without Electron; the shell units are tested with fakes of the Electron objects wired here.
 */
import {
	app,
	BrowserWindow,
	desktopCapturer,
	dialog,
	ipcMain,
	Menu,
	nativeImage,
	Notification,
	powerMonitor,
	powerSaveBlocker,
	safeStorage,
	session,
	shell,
	Tray,
	type WebContents,
} from "electron";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BusyState } from "./engine/busy";
import { attachLogFile } from "./engine/log/file";
import { Logger } from "./engine/log/logger";
import { Studio } from "./engine/studio";
import { captureLibraryConsole } from "./engine/transport/library-console";
import { registerIpcHost, trustPage } from "./ipc/host";
import { SafeStorageSecretStore } from "./ipc/safe-storage";
import { keepInTrayOnClose } from "./shell/close-to-tray";
import { registerMediaFileDialog } from "./shell/file-dialog";
import { findReadme, openWithSystem } from "./shell/help";
import { appMenuTemplate } from "./shell/menu";
import { Notifier } from "./shell/notifications";
import { keepAwakeWhileBusy } from "./shell/power";
import { guardQuit, messageBoxConfirm, type QuitGuard } from "./shell/quit";
import { ShellSettings } from "./shell/settings";
import { claimSingleInstance } from "./shell/single-instance";
import { followInTray, studioStopActions, trayIconBitmap } from "./shell/tray";
import { createWindowHost } from "./shell/window-host";
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
	onWindowCreated?.(win);
	return win;
}

/** Set once the engine runs: attaches the close-to-tray handler to each new window. */
let onWindowCreated: ((win: BrowserWindow) => void) | undefined;
const windows = createWindowHost(createWindow, () => app.isReady());

app.enableSandbox();

// One studio per user: a second launch hands its arguments to this one and exits.
const primary = claimSingleInstance(app, windows);
if (!primary) app.quit();

if (primary) void app.whenReady().then(() => {
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

	// The log goes to a rotating file in the data folder from the first line on.
	const logger = new Logger();
	const logDir = join(app.getPath("userData"), "logs");
	const logFile = attachLogFile(logger, { dir: logDir });
	const studio = new Studio({
		host: "electron",
		logger,
		dataDir: app.getPath("userData"),
		secrets: new SafeStorageSecretStore(safeStorage),
		embeddedRelay: {},
		recordingsDir: join(app.getPath("videos"), "MoQ Studio"),
		// Deleting a recording moves it to the OS trash; revealing shows it in the file manager.
		removeFile: (path) => shell.trashItem(path),
		revealFile: (path) => shell.showItemInFolder(path),
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
	// Go Live from a file: the native open dialog, modal to the asking window.
	const unregisterDialog = registerMediaFileDialog(
		ipcMain,
		(event, options) => {
			const win = BrowserWindow.fromWebContents(event.sender as WebContents);
			return win ? dialog.showOpenDialog(win, options) : dialog.showOpenDialog(options);
		},
		isOwnPage,
	);
	// A session that hung through sleep is the classic MoQ bug (moq-dev/moq #2609): probe on resume.
	powerMonitor.on("resume", () => studio.sessions.wake());
	powerMonitor.on("unlock-screen", () => studio.sessions.wake());
	studio.start().catch((err: unknown) => studio.logger.scope("main").error(`start failed: ${String(err)}`));

	const log = studio.logger.scope("shell");
	const busy = new BusyState(studio);
	const settings = new ShellSettings({
		get: () => studio.handlers["preferences.get"]({}),
		set: (preferences) => studio.handlers["preferences.set"]({ preferences }),
	});
	const releasePower = keepAwakeWhileBusy(busy, powerSaveBlocker, (m) => log.info(m));
	const showView = (message: Parameters<typeof windows.send>[0]) => {
		windows.show();
		windows.send(message);
	};

	// The tray: some Linux desktops have none, and the app must still run there.
	let removeTray: (() => void) | undefined;
	const icon = (level: Parameters<typeof trayIconBitmap>[0]) => nativeImage.createFromBitmap(trayIconBitmap(level, 32), { width: 32, height: 32, scaleFactor: 2 });
	try {
		removeTray = followInTray(new Tray(icon("idle")), {
			busy,
			menu: Menu,
			icon,
			actions: { ...studioStopActions(studio), showWindow: () => windows.show(), quit: () => app.quit() },
			onError: (what, err) => log.error(`${what} failed: ${err instanceof Error ? err.message : String(err)}`),
		});
	} catch (err) {
		log.warn(`no tray icon: ${err instanceof Error ? err.message : String(err)}`);
	}

	const notifier = new Notifier({
		events: studio.events,
		busy,
		create: ({ title, body }) => new Notification({ title, body }),
		supported: () => Notification.isSupported(),
		settings,
		open: (view, id) => showView({ type: "navigate", view, id }),
	});

	const openLogFolder = () => void openWithSystem(shell, logDir, "log folder").then((e) => e && log.warn(`cannot open the log folder: ${e}`));
	const openReadme = () =>
		void openWithSystem(shell, findReadme({ resourcesPath: process.resourcesPath, appPath: app.getAppPath() }), "README").then((e) => e && log.warn(`cannot open the README: ${e}`));
	Menu.setApplicationMenu(
		Menu.buildFromTemplate(appMenuTemplate({ platform: process.platform, appName: app.name, devTools: !app.isPackaged, send: showView, openReadme, openLogFolder })),
	);

	const quit: QuitGuard = guardQuit({
		app,
		busy,
		confirm: messageBoxConfirm({ showMessageBox: (win: BrowserWindow, options) => dialog.showMessageBox(win, options) }, () => windows.show()),
		close: async () => {
			// Stopping everything is not news: no notifications while the engine closes.
			notifier.mute();
			unregister();
			unregisterDialog();
			await studio.close();
			notifier.close();
			busy.close();
			releasePower();
			removeTray?.();
			await logFile.detach();
		},
		log: (level, message) => log[level](message),
	});
	onWindowCreated = (win) =>
		keepInTrayOnClose(win, {
			busy,
			settings,
			quitting: () => quit.quitting,
			hasTray: () => removeTray !== undefined,
			notice: (title, body) => notifier.notice(title, body),
		});
	windows.ensure();

	app.on("activate", () => windows.show());
});

app.on("web-contents-created", (_event, contents) => harden(contents));

app.on("window-all-closed", () => {
	if (process.platform !== "darwin") app.quit();
});
