/**
 * The shell units over a real engine (Node, no Electron): the busy state through a real file
 * publication and a real recording on the embedded relay, the power blocker requested and
 * released at the right moments, quit while recording finalizing a file that decodes with no
 * error, and a notification for a session that gives up on a relay that stopped.
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BusyState, type BusyLevel } from "../../electron/engine/busy";
import { Studio } from "../../electron/engine/studio";
import { Notifier } from "../../electron/shell/notifications";
import { keepAwakeWhileBusy } from "../../electron/shell/power";
import { guardQuit, type QuitChoice } from "../../electron/shell/quit";
import { ShellSettings } from "../../electron/shell/settings";
import { followInTray, studioStopActions } from "../../electron/shell/tray";
import { startRelay } from "../../electron/engine/relay";
import { startTestRelay } from "../helpers/relay";
import { startTestStudio, type TestStudio } from "../helpers/studio";
import { decodeErrors, makeH264Mp4, tempDir } from "../media/media-helpers";
import { quietLibraryLogs, until } from "../relay/clients";
import { FakeApp, FakeBlocker, FakeNotifications, FakeTray, fakeMenuFactory } from "./fakes";

quietLibraryLogs();

let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
	({ dir, remove } = await tempDir("moq-shell-engine-"));
});
afterAll(async () => {
	await remove?.();
});

describe("the shell over a real studio", () => {
	let ts: TestStudio | undefined;
	afterAll(async () => {
		await ts?.close();
	});

	it("busy through a real file publication and recording; quit while recording finalizes a clean file", { timeout: 90_000 }, async () => {
		const source = await makeH264Mp4(`${dir}/show.mp4`, 2);
		ts = await startTestStudio({ embeddedRelay: true, recordingsDir: `${dir}/recordings` });
		const { studio } = ts;
		const relayUrl = studio.embeddedRelay!.url;
		const out = studio.origins.list().find((o) => o.name === "studio")!;
		const back = studio.origins.create("back");
		studio.sessions.connect({ url: relayUrl, consumeOrigin: back.id });
		await until(() => studio.sessions.list().every((s) => s.phase === "connected"), 15_000, "the embedded and the consuming sessions");

		const busy = new BusyState(studio, { pollMs: 200 });
		const blocker = new FakeBlocker();
		keepAwakeWhileBusy(busy, blocker);
		const notifications = new FakeNotifications();
		const notifier = new Notifier({ events: studio.events, busy, create: notifications.create, settings: new ShellSettings(), open: () => {} });
		const tray = new FakeTray();
		const icons: BusyLevel[] = [];
		followInTray(tray, {
			busy,
			menu: fakeMenuFactory,
			icon: (level) => (icons.push(level), level),
			actions: { ...studioStopActions(studio), showWindow: () => {}, quit: () => {} },
			onError: () => {},
		});
		expect(busy.current).toMatchObject({ busy: false, level: "idle", live: [], recordings: [] });
		expect(blocker.log).toEqual([]);

		// A file published in a loop: live until stopped.
		const pub = await studio.publishing.start({ originId: out.id, path: "shows/busy.hang", file: source, loop: true });
		await until(() => busy.current.live.length === 1, 10_000, "the publication in the busy state");
		expect(busy.current.live).toEqual([{ id: pub.id, kind: "file", originId: out.id, path: "shows/busy.hang", startedAt: pub.startedAt }]);
		expect(busy.current).toMatchObject({ busy: true, level: "live" });
		expect(blocker.log).toEqual(["start prevent-app-suspension"]);
		expect(notifications.shown.map((n) => `${n.title}: ${n.body}`)).toEqual(["You are live: Publishing shows/busy.hang"]);

		// Recorded back through the relay from the consuming session's origin.
		const rec = studio.recordings.start({ originId: back.id, path: "shows/busy.hang", fileName: "quit.mp4" });
		await until(() => busy.current.recordings[0]?.state === "recording", 15_000, "the recording in the busy state");
		await until(() => (studio.recordings.list()[0]?.durationS ?? 0) >= 1.5, 20_000, "some recorded media");
		expect(busy.current.recordings).toMatchObject([{ id: rec.id, originId: back.id, path: "shows/busy.hang", state: "recording" }]);
		expect(tray.toolTip).toBe("MoQ Studio: live (1), recording (1)");
		expect(icons).toEqual(["idle", "live"]);
		// Still one blocker for both reasons.
		expect(blocker.log).toEqual(["start prevent-app-suspension"]);

		// Quit: asked (live and recording), Stop and quit; will-quit held until the engine closed.
		const app = new FakeApp();
		const asked: string[] = [];
		const testStudio = ts;
		const guard = guardQuit({
			app,
			busy,
			confirm: async (summary): Promise<QuitChoice> => {
				asked.push(`${summary.live.length} live, ${summary.recordings.length} recording`);
				return "stop-and-quit";
			},
			close: async () => {
				notifier.mute();
				await testStudio.close();
				busy.refresh();
			},
		});
		app.quit();
		expect(app.hasQuit).toBe(false);
		await guard.closed;
		await until(() => app.hasQuit, 5_000, "the quit to go through");
		ts = undefined;
		expect(asked).toEqual(["1 live, 1 recording"]);

		const done = studio.recordings.list().find((r) => r.id === rec.id)!;
		expect(done).toMatchObject({ state: "finished", end: "stopped", file: `${dir}/recordings/quit.mp4` });
		expect(existsSync(done.file!)).toBe(true);
		expect(await decodeErrors(done.file!)).toBe("");
		expect(done.tracks.map((t) => t.kind).sort()).toEqual(["audio", "video"]);

		// Nothing left: the blocker was released exactly once, and the tray is idle again.
		expect(busy.current).toMatchObject({ busy: false, level: "idle" });
		expect(blocker.log).toEqual(["start prevent-app-suspension", "stop 1"]);
		expect(blocker.active.size).toBe(0);
		expect(icons.at(-1)).toBe("idle");
		// Muted while quitting: stopping everything is not news.
		expect(notifications.shown).toHaveLength(1);
		busy.close();
	});

	it("the tray's stop actions end Go Live and the publication, then the recording, and the blocker follows", { timeout: 90_000 }, async () => {
		const source = await makeH264Mp4(`${dir}/show2.mp4`, 2);
		const local = await startTestStudio({ embeddedRelay: true, recordingsDir: `${dir}/recordings2` });
		try {
			const { studio } = local;
			const out = studio.origins.list().find((o) => o.name === "studio")!;
			await until(() => studio.sessions.list().every((s) => s.phase === "connected"), 15_000, "the embedded session");
			const busy = new BusyState(studio, { pollMs: 200 });
			const blocker = new FakeBlocker();
			keepAwakeWhileBusy(busy, blocker);
			const actions = studioStopActions(studio);
			await studio.publishing.start({ originId: out.id, path: "shows/two.hang", file: source, loop: true });
			// A Go Live as the renderer starts it (its encoders would feed the media channels).
			const live = studio.golive.start({
				originId: out.id,
				path: "live/me.hang",
				video: { codec: "avc1.42e01e", codedWidth: 320, codedHeight: 240, framerate: 30, bitrate: 500_000 },
			});
			// A recording waiting for a broadcast that is not there yet is running too.
			studio.recordings.start({ originId: out.id, path: "shows/later.hang" });
			await until(() => busy.current.live.length === 2 && busy.current.recordings.length === 1, 10_000, "live twice and recording");
			expect(busy.current.live.map((l) => `${l.kind} ${l.path}`).sort()).toEqual(["file shows/two.hang", `golive ${live.path}`]);
			expect(busy.current.recordings).toMatchObject([{ state: "waiting", file: null }]);
			await actions.stopLive();
			await until(() => busy.current.live.length === 0, 10_000, "the publication stopped");
			expect(busy.current).toMatchObject({ busy: true, level: "recording" });
			expect(blocker.active.size).toBe(1);
			await actions.stopRecordings();
			await until(() => !busy.current.busy, 10_000, "the recording stopped");
			expect(blocker.log).toEqual(["start prevent-app-suspension", "stop 1"]);
			busy.close();
		} finally {
			await local.close();
		}
	});
});

describe("a session that gives up", () => {
	it("raises one notification whose click opens the sessions view, and turns the tray to failed", { timeout: 60_000 }, async () => {
		const relay = await startTestRelay();
		const studio = new Studio({ host: "web" });
		try {
			const origin = studio.origins.create("out");
			const id = studio.sessions.connect({
				url: relay.url,
				publishOrigin: origin.id,
				connectTimeoutMs: 1000,
				backoff: { initial: 50, multiplier: 1, max: 50, timeout: 400 },
			});
			await until(() => studio.sessions.get(id).phase === "connected", 10_000, "the session up");
			const busy = new BusyState(studio, { pollMs: 200 });
			const notifications = new FakeNotifications();
			const opened: string[] = [];
			new Notifier({ events: studio.events, busy, create: notifications.create, settings: new ShellSettings(), open: (view, target) => opened.push(`${view}:${target}`) });
			const tray = new FakeTray();
			followInTray(tray, { busy, menu: fakeMenuFactory, icon: (level) => level, actions: { ...studioStopActions(studio), showWindow: () => {}, quit: () => {} }, onError: () => {} });

			await relay.close();
			await until(() => studio.sessions.get(id).phase === "failed", 20_000, "the session to give up");
			await until(() => notifications.shown.length > 0 && busy.current.level === "failed", 5_000, "the notification and the failed state");
			expect(notifications.shown.map((n) => n.title)).toEqual(["Session gave up"]);
			expect(notifications.shown[0]!.body).toMatch(/^The session to http:\/\/127\.0\.0\.1:\d+\/ stopped reconnecting \(.+\)\.$/);
			expect(busy.current.failedSessions).toMatchObject([{ id }]);
			expect(busy.current.busy).toBe(false);
			expect(tray.images.at(-1)).toBe("failed");
			expect(tray.toolTip).toBe("MoQ Studio: 1 session failed");
			notifications.shown[0]!.click();
			expect(opened).toEqual([`sessions:${id}`]);
			// Removing the failed session clears the state.
			await studio.sessions.remove(id);
			await until(() => busy.current.level === "idle", 5_000, "idle after removal");
			busy.close();
		} finally {
			await studio.close();
			await relay.close();
		}
	});
});

describe("a session that comes back", () => {
	it("raises 'Session reconnected' once the relay is back on its port", { timeout: 60_000 }, async () => {
		const first = await startTestRelay();
		const port = Number(new URL(first.url).port);
		const studio = new Studio({ host: "web" });
		let second: Awaited<ReturnType<typeof startRelay>> | undefined;
		try {
			const origin = studio.origins.create("out");
			const id = studio.sessions.connect({ url: first.url, publishOrigin: origin.id, backoff: { initial: 50, multiplier: 1, max: 100, timeout: 0 } });
			await until(() => studio.sessions.get(id).phase === "connected", 10_000, "the session up");
			const busy = new BusyState(studio, { pollMs: 200 });
			const notifications = new FakeNotifications();
			// Any outage counts here: the threshold is about the user's patience, not the test's clock.
			new Notifier({ events: studio.events, busy, create: notifications.create, settings: new ShellSettings(), open: () => {}, reconnectNoticeAfterMs: 0 });
			await first.close();
			await until(() => studio.sessions.get(id).phase !== "connected", 10_000, "the session down");
			expect(notifications.shown).toEqual([]);
			second = await startRelay({ host: "127.0.0.1", port });
			await until(() => notifications.shown.length > 0, 20_000, "the reconnected notice");
			expect(studio.sessions.get(id)).toMatchObject({ phase: "connected", reconnects: 1 });
			expect(notifications.shown.map((n) => n.title)).toEqual(["Session reconnected"]);
			expect(notifications.shown[0]!.body).toMatch(/^The session to http:\/\/127\.0\.0\.1:\d+\/ is back after \d+ s down\.$/);
			busy.close();
		} finally {
			await studio.close();
			await second?.close();
			await first.close();
		}
	});
});
