/**
 * The shell units with fakes of the Electron objects: power blocker, single instance, quit
 * confirmation and the held will-quit, close to tray, tray, notifications, menu and window host.
 * (The same units over a real engine: engine.test.ts.)
 */
import { describe, expect, it } from "vitest";
import type { EventName } from "../../shared/contract";
import type { RecordingInfo } from "../../shared/recordings";
import type { SessionState } from "../../shared/sessions";
import { BusyState } from "../../electron/engine/busy";
import { ShellChannel, type ShellMessage } from "../../shared/shell-channel";
import { keepInTrayOnClose } from "../../electron/shell/close-to-tray";
import { findReadme, openWithSystem } from "../../electron/shell/help";
import { appMenuTemplate } from "../../electron/shell/menu";
import { Notifier } from "../../electron/shell/notifications";
import { keepAwakeWhileBusy } from "../../electron/shell/power";
import { describeBusy, guardQuit, messageBoxConfirm, type QuitChoice } from "../../electron/shell/quit";
import { ShellPreference, ShellSettings } from "../../electron/shell/settings";
import { claimSingleInstance, launchArguments } from "../../electron/shell/single-instance";
import { followInTray, trayIconBitmap } from "../../electron/shell/tray";
import { createWindowHost } from "../../electron/shell/window-host";
import type { Preferences } from "../../shared/sessions";
import { FakeApp, FakeBlocker, FakeBusy, FakeNotifications, FakeTray, FakeWindow, fakeMenuFactory, liveItem, menuItem, recordingItem } from "./fakes";

/** A promise and its resolver. */
function deferred<T = void>() {
	let resolve!: (value: T) => void;
	const promise = new Promise<T>((r) => (resolve = r));
	return { promise, resolve };
}

/** Lets queued promise callbacks run. */
const settle = () => new Promise((r) => setImmediate(r));

describe("power", () => {
	it("holds one prevent-app-suspension blocker while live or recording, and releases it when neither", () => {
		const busy = new FakeBusy();
		const blocker = new FakeBlocker();
		const stop = keepAwakeWhileBusy(busy, blocker);
		expect(blocker.log).toEqual([]);
		busy.set({ live: [liveItem()] });
		busy.set({ recordings: [recordingItem()] });
		expect(blocker.log).toEqual(["start prevent-app-suspension"]);
		busy.set({ live: [] });
		expect(blocker.active.size).toBe(1);
		busy.set({ recordings: [] });
		expect(blocker.log).toEqual(["start prevent-app-suspension", "stop 1"]);
		// A failed session alone is not a reason to keep the machine awake.
		busy.set({ failedSessions: [{ id: "s", url: "u", error: null }] });
		expect(blocker.active.size).toBe(0);
		busy.set({ recordings: [recordingItem()] });
		stop();
		expect(blocker.log).toEqual(["start prevent-app-suspension", "stop 1", "start prevent-app-suspension", "stop 2"]);
		busy.set({ live: [liveItem()] });
		expect(blocker.active.size).toBe(0);
	});

	it("starts the blocker at once when the studio is already busy", () => {
		const busy = new FakeBusy();
		busy.set({ recordings: [recordingItem()] });
		const blocker = new FakeBlocker();
		keepAwakeWhileBusy(busy, blocker);
		expect(blocker.active.size).toBe(1);
	});
});

describe("single instance", () => {
	it("a second launch shows the first window and hands the page its arguments", () => {
		const app = new FakeApp();
		const win = new FakeWindow();
		win.minimized = true;
		const host = createWindowHost(() => win);
		expect(claimSingleInstance(app, host)).toBe(true);
		host.ensure();
		win.load();
		app.emit("second-instance", {}, ["/opt/moq-studio/moq-studio", "--join", "live/me.hang"], "/home/me");
		expect(win.visible && !win.minimized && win.focused > 0).toBe(true);
		expect(win.sent).toEqual([{ channel: ShellChannel.message, args: [{ type: "second-instance", argv: ["--join", "live/me.hang"] }] }]);
	});

	it("the second instance learns it is second (and must quit)", () => {
		const app = new FakeApp();
		app.lockAvailable = false;
		expect(claimSingleInstance(app, createWindowHost(() => new FakeWindow()))).toBe(false);
		expect(app.listenerCount("second-instance")).toBe(0);
	});

	it("drops electron's own arguments when unpackaged", () => {
		expect(launchArguments(["electron", ".", "--x"], false)).toEqual(["--x"]);
		expect(launchArguments(["moq-studio", "--x"], true)).toEqual(["--x"]);
	});
});

describe("quit", () => {
	function setup(answer: QuitChoice | Promise<QuitChoice>, close: () => Promise<void> = async () => {}, timeoutMs?: number) {
		const app = new FakeApp();
		const busy = new FakeBusy();
		const asked: string[] = [];
		const closes: string[] = [];
		const guard = guardQuit({
			app,
			busy,
			confirm: async (summary) => {
				asked.push(describeBusy(summary));
				return answer;
			},
			close: async () => {
				closes.push("close");
				await close();
			},
			timeoutMs,
		});
		return { app, busy, asked, closes, guard };
	}

	it("quits without asking when idle, after the engine closed", async () => {
		const engine = deferred();
		const { app, asked, closes, guard } = setup("cancel", () => engine.promise);
		app.quit();
		expect(asked).toEqual([]);
		expect(closes).toEqual(["close"]);
		// will-quit is held until close() resolves.
		expect(app.hasQuit).toBe(false);
		expect(guard.quitting).toBe(true);
		app.quit(); // a second quit while closing neither closes again nor goes through
		expect(closes).toEqual(["close"]);
		engine.resolve();
		await guard.closed;
		await settle();
		expect(app.hasQuit).toBe(true);
	});

	it("asks when live or recording; Cancel keeps everything running", async () => {
		const { app, busy, asked, closes, guard } = setup("cancel");
		busy.set({ live: [liveItem("l", "live/show.hang")], recordings: [{ ...recordingItem("r", "live/show.hang"), state: "waiting" }] });
		app.quit();
		await settle();
		expect(asked).toEqual(["Live: live/show.hang\nRecording: live/show.hang (waiting for the broadcast)"]);
		expect(closes).toEqual([]);
		expect(app.hasQuit).toBe(false);
		expect(guard.quitting).toBe(false);
	});

	it("Stop and quit closes the engine, then quits", async () => {
		const { app, busy, asked, closes, guard } = setup("stop-and-quit");
		busy.set({ recordings: [recordingItem()] });
		app.quit();
		expect(app.hasQuit).toBe(false);
		await guard.closed;
		await settle();
		expect(asked).toHaveLength(1);
		expect(closes).toEqual(["close"]);
		expect(app.hasQuit).toBe(true);
	});

	it("asks once when quit is pressed again while the question is open", async () => {
		const answer = deferred<QuitChoice>();
		const { app, busy, asked } = setup(answer.promise);
		busy.set({ live: [liveItem()] });
		app.quit();
		app.quit();
		await settle();
		expect(asked).toHaveLength(1);
		answer.resolve("cancel");
	});

	it("quits anyway when the engine does not close in time, and when closing fails", async () => {
		const hung = setup("cancel", () => new Promise<void>(() => {}), 20);
		hung.app.quit();
		await hung.guard.closed;
		await settle();
		expect(hung.app.hasQuit).toBe(true);
		const failing = setup("cancel", () => Promise.reject(new Error("boom")));
		failing.app.quit();
		await failing.guard.closed;
		await settle();
		expect(failing.app.hasQuit).toBe(true);
	});

	it("the message box maps its buttons to the choice", async () => {
		const busy = new FakeBusy();
		busy.set({ live: [liveItem()] });
		const options: unknown[] = [];
		const box = (response: number) =>
			messageBoxConfirm(
				{
					showMessageBox: async (_w: string, o) => {
						options.push(o);
						return { response };
					},
				},
				() => "window",
			);
		expect(await box(0)(busy.current)).toBe("stop-and-quit");
		expect(await box(1)(busy.current)).toBe("cancel");
		expect(options[0]).toMatchObject({ buttons: ["Stop and quit", "Cancel"], cancelId: 1, defaultId: 1, message: "MoQ Studio is live. Stop and quit?" });
	});
});

describe("close to tray", () => {
	function setup(prefs: Preferences = {}) {
		const busy = new FakeBusy();
		const store: Preferences = { ...prefs };
		const settings = new ShellSettings({ get: () => store, set: (p) => Object.assign(store, p) });
		const notices: string[] = [];
		let quitting = false;
		const win = new FakeWindow();
		win.visible = true;
		keepInTrayOnClose(win, { busy, settings, quitting: () => quitting, hasTray: () => true, notice: (title) => notices.push(title) });
		return { busy, store, notices, win, quit: () => (quitting = true) };
	}

	it("hides instead of closing while busy, with a notice the first time only", () => {
		const { busy, store, notices, win } = setup();
		busy.set({ live: [liveItem()] });
		expect(win.userClose()).toBe(false);
		expect(win.visible).toBe(false);
		win.show();
		expect(win.userClose()).toBe(false);
		expect(notices).toEqual(["MoQ Studio is still running"]);
		expect(store[ShellPreference.trayNoticeShown]).toBe(true);
	});

	it("closes for real when idle, while quitting, or with the setting off", () => {
		expect(setup().win.userClose()).toBe(true);
		const quitting = setup();
		quitting.busy.set({ recordings: [recordingItem()] });
		quitting.quit();
		expect(quitting.win.userClose()).toBe(true);
		const off = setup({ [ShellPreference.closeToTray]: false });
		off.busy.set({ recordings: [recordingItem()] });
		expect(off.win.userClose()).toBe(true);
		expect(off.notices).toEqual([]);
	});
});

describe("tray", () => {
	it("shows the state in its image and tooltip, and its actions act", async () => {
		const busy = new FakeBusy();
		const tray = new FakeTray();
		const calls: string[] = [];
		const remove = followInTray(tray, {
			busy,
			menu: fakeMenuFactory,
			icon: (level) => level,
			actions: {
				showWindow: () => calls.push("show"),
				stopLive: async () => void calls.push("stopLive"),
				stopRecordings: async () => void calls.push("stopRecordings"),
				quit: () => calls.push("quit"),
			},
			onError: () => {},
		});
		expect(tray.images).toEqual(["idle"]);
		expect(tray.toolTip).toBe("MoQ Studio: idle");
		expect(menuItem(tray.menu!.template, "Stop going live")?.enabled).toBe(false);
		busy.set({ recordings: [recordingItem()] });
		busy.set({ live: [liveItem()] });
		busy.set({ failedSessions: [{ id: "s", url: "ws://x", error: "gone" }] });
		expect(tray.images).toEqual(["idle", "recording", "live", "failed"]);
		expect(tray.toolTip).toBe("MoQ Studio: 1 session failed, live (1), recording (1)");
		const menu = tray.menu!.template;
		for (const label of ["Show MoQ Studio", "Stop going live", "Stop all recordings", "Quit MoQ Studio"]) {
			expect(menuItem(menu, label)?.enabled).not.toBe(false);
			menuItem(menu, label)!.click!();
		}
		tray.emit("click");
		await settle();
		expect(calls).toEqual(["show", "stopLive", "stopRecordings", "quit", "show"]);
		remove();
		expect(tray.destroyed).toBe(true);
	});

	it("draws a distinct, premultiplied icon per state", () => {
		const levels = ["idle", "live", "recording", "failed"] as const;
		const bitmaps = levels.map((l) => trayIconBitmap(l, 16));
		expect(new Set(bitmaps.map((b) => b.toString("hex"))).size).toBe(4);
		for (const b of bitmaps) {
			expect(b.length).toBe(16 * 16 * 4);
			for (let i = 0; i < b.length; i += 4) for (let c = 0; c < 3; c++) expect(b[i + c]!).toBeLessThanOrEqual(b[i + 3]!);
			// Transparent corners, opaque centre.
			expect(b[3]).toBe(0);
			expect(b[(8 * 16 + 8) * 4 + 3]).toBe(255);
		}
	});
});

describe("notifications", () => {
	function setup(prefs: Preferences = {}, now = { t: 0 }) {
		const listeners = new Set<(event: EventName, payload: unknown) => void>();
		const events = {
			listen: (l: (event: EventName, payload: unknown) => void) => (listeners.add(l), () => listeners.delete(l)),
			emit: (event: EventName, payload: unknown) => listeners.forEach((l) => l(event, payload)),
		};
		const busy = new FakeBusy();
		const fake = new FakeNotifications();
		const opened: string[] = [];
		const notifier = new Notifier({
			events,
			busy,
			create: fake.create,
			settings: new ShellSettings({ get: () => prefs, set: () => {} }),
			open: (view, id) => opened.push(`${view}:${id}`),
			reconnectNoticeAfterMs: 10_000,
			now: () => now.t,
		});
		return { events, busy, fake, opened, notifier, now };
	}
	const session = (phase: SessionState["phase"], reconnects = 0): SessionState => ({
		id: "s1",
		url: "wss://relay.example/",
		phase,
		epoch: reconnects + 1,
		reconnects,
		attempt: 0,
		transport: null,
		version: null,
		nextRetryAt: null,
		lastError: phase === "failed" ? { code: -1, name: "CONNECT", message: "gave up reconnecting: refused" } : null,
		connectedAt: null,
		terminalCode: null,
		publishOrigin: null,
		consumeOrigin: null,
		prefix: "",
		embedded: false,
	});
	const recording = (state: RecordingInfo["state"], file: string | null = "/rec/a.mp4"): RecordingInfo => ({
		id: "r1",
		originId: "o",
		path: "live/a.hang",
		file,
		state,
		end: state === "failed" ? "failed" : state === "finished" ? "stopped" : null,
		startedAt: 0,
		endedAt: null,
		durationS: 0,
		bytes: 0,
		epochs: 1,
		tracks: [],
		error: state === "failed" ? { code: -5, name: "IO", message: "disk full" } : null,
	});

	it("a session reconnected after a long outage, not after a short one", () => {
		const { events, fake, now } = setup();
		events.emit("sessions.state", { session: session("connected") });
		now.t = 1000;
		events.emit("sessions.state", { session: session("backoff") });
		now.t = 5000;
		events.emit("sessions.state", { session: session("connected", 1) });
		expect(fake.shown).toEqual([]);
		now.t = 10_000;
		events.emit("sessions.state", { session: session("backoff", 1) });
		events.emit("sessions.state", { session: session("connecting", 1) });
		now.t = 22_000;
		events.emit("sessions.state", { session: session("connected", 2) });
		expect(fake.shown.map((n) => [n.title, n.body])).toEqual([["Session reconnected", "The session to wss://relay.example/ is back after 12 s down."]]);
	});

	it("recordings finished or failed, once each, clicks open the recordings view", () => {
		const { events, fake, opened } = setup();
		events.emit("recordings.progress", recording("recording"));
		events.emit("recordings.progress", recording("finished"));
		events.emit("recordings.progress", recording("finished"));
		events.emit("recordings.progress", { ...recording("failed"), id: "r2" });
		expect(fake.shown.map((n) => n.title)).toEqual(["Recording finished", "Recording failed"]);
		expect(fake.shown[1]!.body).toBe("live/a.hang: disk full");
		fake.shown[0]!.click();
		expect(opened).toEqual(["recordings:r1"]);
	});

	it("going live started and stopped; a kind switched off stays quiet; mute silences all", () => {
		const { busy, fake, notifier } = setup({ [ShellPreference.notifyRecording]: false });
		busy.set({ live: [liveItem("l1", "live/a.hang")] });
		busy.set({ live: [] });
		expect(fake.shown.map((n) => `${n.title}: ${n.body}`)).toEqual(["You are live: live/a.hang", "Stopped going live: live/a.hang"]);
		const quiet = setup({ [ShellPreference.notifyRecording]: false });
		quiet.events.emit("recordings.progress", recording("finished"));
		expect(quiet.fake.shown).toEqual([]);
		notifier.mute();
		busy.set({ live: [liveItem("l2")] });
		expect(fake.shown).toHaveLength(2);
	});
});

describe("menu", () => {
	const sent: ShellMessage[] = [];
	const opened: string[] = [];
	const template = (platform: string, devTools = false) =>
		appMenuTemplate({ platform, appName: "MoQ Studio", devTools, send: (m) => sent.push(m), openReadme: () => opened.push("readme"), openLogFolder: () => opened.push("logs") });

	it("has the standard roles and the studio's accelerators, which message the page", () => {
		const linux = template("linux");
		expect(linux.map((i) => i.role ?? i.label)).toEqual(["Studio", "editMenu", "View", "windowMenu", "help"]);
		expect(template("darwin").map((i) => i.role ?? i.label)).toEqual(["appMenu", "Studio", "editMenu", "View", "windowMenu", "help"]);
		const accelerators = new Map<string, () => void>();
		const walk = (items: typeof linux) => items.forEach((i) => (i.accelerator && i.click && accelerators.set(i.accelerator, i.click), i.submenu && walk(i.submenu)));
		walk(linux);
		for (const key of ["CmdOrCtrl+L", "CmdOrCtrl+R", "CmdOrCtrl+1", "CmdOrCtrl+6", "CmdOrCtrl+Shift+L"]) accelerators.get(key)!();
		expect(sent).toEqual([
			{ type: "action", action: "golive.toggle" },
			{ type: "action", action: "recordings.recordSelected" },
			{ type: "navigate", view: "sessions" },
			{ type: "navigate", view: "recordings" },
			{ type: "action", action: "log.show" },
		]);
		// No reload (Ctrl+R records; a reload would drop the page's Go Live), dev tools only unpackaged.
		const roles = JSON.stringify(linux);
		expect(roles).not.toMatch(/reload/i);
		expect(roles).not.toMatch(/toggleDevTools/);
		expect(JSON.stringify(template("linux", true))).toMatch(/toggleDevTools/);
		menuItem(linux, "Read Me")!.click!();
		menuItem(linux, "Open Log Folder")!.click!();
		expect(opened).toEqual(["readme", "logs"]);
	});
});

describe("help and window host", () => {
	it("finds the README beside the packaged app first, then at the app path", async () => {
		const exists = (p: string) => p === "/res/README.md" || p === "/app/README.md";
		expect(findReadme({ resourcesPath: "/res", appPath: "/app" }, exists)).toBe("/res/README.md");
		expect(findReadme({ resourcesPath: "/nowhere", appPath: "/app" }, exists)).toBe("/app/README.md");
		expect(findReadme({ appPath: "/none" }, exists)).toBeUndefined();
		expect(await openWithSystem({ openPath: async () => "" }, undefined, "README")).toBe("no README to open");
		expect(await openWithSystem({ openPath: async (p) => (p === "/x" ? "" : "failed") }, "/x", "log folder")).toBe("");
	});

	it("messages wait for the page, and a destroyed window is recreated on show", () => {
		const made: FakeWindow[] = [];
		const host = createWindowHost(() => {
			const w = new FakeWindow();
			made.push(w);
			return w;
		});
		host.send({ type: "navigate", view: "golive" }); // no window: dropped
		const first = host.show();
		host.send({ type: "navigate", view: "recordings", id: "r" });
		expect(first.sent).toEqual([]);
		first.load();
		expect(first.sent.map((s) => s.args[0])).toEqual([{ type: "navigate", view: "recordings", id: "r" }]);
		first.destroyed = true;
		const second = host.show();
		expect(made).toHaveLength(2);
		expect(second).not.toBe(first);
		expect(second.visible).toBe(true);
	});
});

describe("BusyState (over fake managers; the real ones are in engine.test.ts)", () => {
	it("notifies on what changes, not on counters, and stops after close", async () => {
		const listeners = new Set<(event: EventName, payload: unknown) => void>();
		const recordings: RecordingInfo[] = [];
		const source = {
			events: { listen: (l: (event: EventName, payload: unknown) => void) => (listeners.add(l), () => listeners.delete(l)) },
			golive: { list: () => [] },
			publishing: { list: () => [] },
			recordings: { list: () => recordings },
			sessions: { list: () => [] },
		};
		const busy = new BusyState(source, { pollMs: 60_000 });
		const seen: string[] = [];
		busy.subscribe((now, before) => seen.push(`${before.level}->${now.level}`));
		const rec = { id: "r", originId: "o", path: "p", file: null, state: "waiting", bytes: 0 } as unknown as RecordingInfo;
		recordings.push(rec);
		listeners.forEach((l) => l("recordings.progress", rec));
		await settle();
		Object.assign(rec, { bytes: 100 });
		listeners.forEach((l) => l("recordings.progress", rec));
		listeners.forEach((l) => l("log.entries", { entries: [] }));
		await settle();
		expect(seen).toEqual(["idle->recording"]);
		Object.assign(rec, { state: "finished" });
		expect(busy.refresh().busy).toBe(false);
		expect(seen).toEqual(["idle->recording", "recording->idle"]);
		busy.close();
		expect(listeners.size).toBe(0);
		Object.assign(rec, { state: "recording" });
		busy.refresh();
		expect(seen).toHaveLength(2);
	});
});
