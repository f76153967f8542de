/**
 * `StudioApi`: the only way the renderer talks to the engine, whichever host serves it.
 */
import { z } from "zod";
import type { EventName, EventPayload, MethodArgs, MethodName, MethodResult } from "./contract";
import type { StudioErrorInfo } from "./errors";
import type { ShellMessage } from "./shell-channel";

/** Removes an event subscription. */
export type Unsubscribe = () => void;

/** The typed client side of the contract. */
export interface StudioApi {
	/**
	 * Calls a contract method. Resolves with the validated result or rejects with a
	 * `StudioError` carrying a code from the error table.
	 */
	invoke<M extends MethodName>(method: M, args: MethodArgs<M>): Promise<MethodResult<M>>;
	/** Subscribes to an engine event; the listener receives validated payloads. */
	on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): Unsubscribe;
}

/**
 * What the preload exposes as `window.studio`: envelopes rather than thrown errors, because
 * errors crossing Electron's contextBridge lose their class and code. The renderer turns it
 * into a {@link StudioApi}.
 */
export interface StudioBridge {
	/** Calls a method; resolves with an envelope, never rejects for a typed failure. */
	invoke(method: string, args: unknown): Promise<Envelope>;
	/** Receives raw event payloads of `event`; the renderer validates them. */
	subscribe(event: string, listener: (payload: unknown) => void): Unsubscribe;
	/**
	 * Opens a Go Live media channel (desktop host only). The MessagePort arrives on `window` as a
	 * `message` event `{ type: "moq-studio:media-port", channel }` with the port in `ports[0]`,
	 * because ports cannot cross the context bridge as return values.
	 */
	openMediaChannel?(channel: string): void;
	/**
	 * Receives what the desktop shell asks of the page (menu accelerators, tray actions,
	 * notification clicks, a second launch). Desktop host only; the renderer checks the shape.
	 */
	onShellMessage?(listener: (message: ShellMessage) => void): Unsubscribe;
	/**
	 * Shows the system's open dialog for a media file (desktop host only): an envelope of the
	 * chosen absolute path, or null when the person cancelled.
	 */
	chooseMediaFile?(): Promise<Envelope<string | null>>;
}

/** A response as it crosses a boundary: a result or a typed error, never a thrown exception. */
export type Envelope<R = unknown> = { ok: true; result: R } | { ok: false; error: StudioErrorInfo };

/** The channel names the Electron host and preload agree on. */
export { IpcChannel } from "./ipc-channel";

/** The messages of the web host's WebSocket bridge, client to server (validated by the host). */
export const BridgeRequest = z.discriminatedUnion("type", [
	z.object({ type: z.literal("invoke"), id: z.number().int().nonnegative(), method: z.string().max(100), args: z.unknown() }),
	z.object({ type: z.literal("subscribe"), events: z.array(z.string().max(100)).max(100) }),
]);
/** @see BridgeRequest */
export type BridgeRequest = z.infer<typeof BridgeRequest>;

/** The messages of the web host's WebSocket bridge, server to client. */
export type BridgeMessage =
	| ({ type: "response"; id: number } & Envelope)
	| { type: "event"; event: string; payload: unknown };
