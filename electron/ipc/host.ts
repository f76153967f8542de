/**
 * The Electron host of the contract: one `ipcMain` handler that validates the sender and the
 * arguments, runs the engine through `dispatch`, and forwards subscribed events to windows.
 *
 * It depends only on the small slices of Electron's API below, so it is unit-tested with fakes.
 */
import { IpcChannel, type Envelope } from "../../shared/api";
import { isEventName, type EventName } from "../../shared/contract";
import { StudioError } from "../../shared/errors";
import { dispatch } from "../engine/dispatch";
import { claimStarted, type LiveOwner } from "../engine/golive/manager";
import type { ServedMediaChannel } from "../engine/golive/media-channel";
import { serveAnyMediaChannel } from "../engine/media-channels";
import type { Studio } from "../engine/studio";

/** The part of a sender's frame the host looks at. */
export interface SenderFrame {
	url: string;
}

/** The part of `WebContents` the host uses. */
export interface WebContentsLike {
	readonly id: number;
	send(channel: string, ...args: unknown[]): void;
	isDestroyed(): boolean;
	once(event: "destroyed", listener: () => void): unknown;
	/**
	 * `did-navigate` fires for a main-frame, cross-document navigation (a reload included: the
	 * old page is gone); `render-process-gone` when the renderer crashed or was killed.
	 */
	on(event: "did-navigate" | "render-process-gone", listener: () => void): unknown;
}

/** The part of an `IpcMainInvokeEvent` / `IpcMainEvent` the host uses. */
export interface IpcEventLike {
	senderFrame: SenderFrame | null;
	sender: WebContentsLike;
}

/** The part of Electron's `MessagePortMain` a media channel uses. */
export interface MessagePortLike {
	on(event: "message", listener: (event: { data: unknown }) => void): unknown;
	on(event: "close", listener: () => void): unknown;
	postMessage(message: unknown): void;
	start(): void;
	close(): void;
}

/** The part of `ipcMain` the host uses. */
export interface IpcMainLike {
	handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => Promise<unknown> | unknown): void;
	removeHandler(channel: string): void;
	on(channel: string, listener: (event: IpcEventLike & { ports: MessagePortLike[] }, ...args: unknown[]) => void): unknown;
	removeAllListeners(channel: string): unknown;
}

/** Decides whether a frame is our own page. */
export type TrustedFrame = (frame: SenderFrame) => boolean;

/**
 * Accepts exactly one page: `pageUrl` with any hash, nothing else (no other file, no remote
 * page, no subframe that navigated elsewhere).
 */
export function trustPage(pageUrl: string): TrustedFrame {
	const expected = stripHash(pageUrl);
	return (frame) => stripHash(frame.url) === expected;
}

function stripHash(url: string): string {
	try {
		const u = new URL(url);
		u.hash = "";
		u.search = "";
		return u.toString();
	} catch {
		return "";
	}
}

/** Registers the contract on `ipcMain`; returns the function that unregisters it. */
export function registerIpcHost(ipcMain: IpcMainLike, studio: Studio, isTrusted: TrustedFrame): () => void {
	const log = studio.logger.scope("ipc");
	const subscriptions = new Map<number, { contents: WebContentsLike; events: Set<EventName> }>();

	const refuse = (event: IpcEventLike): Envelope | undefined => {
		const frame = event.senderFrame;
		if (frame && isTrusted(frame)) return undefined;
		log.warn(`refused IPC from untrusted frame ${frame ? JSON.stringify(frame.url.slice(0, 200)) : "(gone)"}`);
		return { ok: false, error: new StudioError("FORBIDDEN", "IPC from an untrusted frame").toInfo() };
	};

	// Go Live broadcasts belong to the page that started them: when that page goes away
	// (window closed, reload, renderer crash) they end after the grace period, or a new Go Live
	// at the same path takes over (issue 18). One owner per loaded page of a webContents.
	const liveOwners = new Map<number, LiveOwner>();
	// Listeners go on each webContents once (not once per page load, which would pile up).
	const watched = new Set<number>();
	const liveOwnerFor = (contents: WebContentsLike): LiveOwner => {
		const id = contents.id;
		if (!watched.has(id)) {
			watched.add(id);
			const pageGone = () => {
				liveOwners.get(id)?.release();
				liveOwners.delete(id);
			};
			contents.once("destroyed", () => {
				pageGone();
				watched.delete(id);
			});
			contents.on("did-navigate", pageGone);
			contents.on("render-process-gone", pageGone);
		}
		let owner = liveOwners.get(id);
		if (!owner) {
			owner = studio.golive.owner(`renderer ${id}`);
			liveOwners.set(id, owner);
		}
		return owner;
	};

	ipcMain.handle(IpcChannel.invoke, async (event, method, args) => {
		const refusal = refuse(event);
		if (refusal) return refusal;
		const envelope = await dispatch(studio.handlers, method, args);
		if (method === "golive.start" && envelope.ok) claimStarted(liveOwnerFor(event.sender), envelope.result);
		return envelope;
	});

	ipcMain.handle(IpcChannel.subscribe, (event, names) => {
		const refusal = refuse(event);
		if (refusal) return refusal;
		if (!Array.isArray(names) || names.length > 100 || !names.every(isEventName)) {
			return { ok: false, error: new StudioError("INVALID_ARGUMENT", "subscribe takes a list of event names").toInfo() };
		}
		const contents = event.sender;
		let entry = subscriptions.get(contents.id);
		if (!entry) {
			entry = { contents, events: new Set() };
			subscriptions.set(contents.id, entry);
			contents.once("destroyed", () => subscriptions.delete(contents.id));
		}
		for (const n of names) entry.events.add(n);
		return { ok: true, result: null } satisfies Envelope;
	});

	// Media channels: Go Live (one MessagePort per track, frames in as transferred ArrayBuffers,
	// acks out) and monitors (one port per monitor, frames out, acks in). MessagePortMain can
	// transfer only ports, so monitor frames are copied by structured clone.
	ipcMain.on(IpcChannel.media, (event, request) => {
		const port = event.ports[0];
		if (!port) return;
		const channel = (request as { channel?: unknown } | null)?.channel;
		if (refuse(event) || typeof channel !== "string") return port.close();
		let served: ServedMediaChannel;
		try {
			served = serveAnyMediaChannel(studio, channel, {
				sendAck: (ack) => port.postMessage({ ack }),
				send: (data) => port.postMessage(data),
				// A MessagePort does not say what it holds: the monitor's ack credit bounds it.
				bufferedBytes: () => 0,
				fail: (error) => {
					port.postMessage({ error: error.message });
					port.close();
				},
			}, log);
		} catch {
			log.warn("media channel refused: unknown channel");
			return port.close();
		}
		port.on("message", ({ data }) => served.receive(data));
		// The renderer's end disconnects when its page goes away: the engine must know, or the
		// broadcast stays announced at 0 b/s and blocks its path (issue 18).
		port.on("close", () => served.closed());
		port.start();
	});

	const stopEvents = studio.events.listen((event, payload) => {
		for (const { contents, events } of subscriptions.values()) {
			if (events.has(event) && !contents.isDestroyed()) contents.send(IpcChannel.event, event, payload);
		}
	});

	return () => {
		stopEvents();
		ipcMain.removeHandler(IpcChannel.invoke);
		ipcMain.removeHandler(IpcChannel.subscribe);
		ipcMain.removeAllListeners(IpcChannel.media);
		subscriptions.clear();
		liveOwners.clear();
	};
}
