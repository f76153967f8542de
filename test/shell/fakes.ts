/**
 * Fakes of the Electron objects the shell units take (`app`, `powerSaveBlocker`, `Tray`,
 * `Notification`, `Menu`, a window), recording what the units did to them.
 */
import { EventEmitter } from "node:events";
import type { BusyListener, BusySummary } from "../../electron/engine/busy";
import type { ManagedWindow } from "../../electron/shell/window-host";
import type { MenuItemTemplate, PreventableEvent } from "../../electron/shell/electron-like";
import type { NotificationContent, NotificationLike } from "../../electron/shell/notifications";

/** A preventable event as Electron passes it. */
export class FakeEvent implements PreventableEvent {
	prevented = false;
	preventDefault(): void {
		this.prevented = true;
	}
}

/**
 * Electron's `app` quit sequence: `quit()` emits `before-quit`, then (unless prevented)
 * `will-quit`, then (unless prevented) the app has quit. The windows' close step is skipped.
 */
export class FakeApp extends EventEmitter {
	quitCalls = 0;
	hasQuit = false;
	isPackaged = true;
	lockHeld = false;
	/** Whether the lock is free for this instance. */
	lockAvailable = true;

	quit(): void {
		this.quitCalls++;
		if (this.hasQuit) return;
		const before = new FakeEvent();
		this.emit("before-quit", before);
		if (before.prevented) return;
		const will = new FakeEvent();
		this.emit("will-quit", will);
		if (will.prevented) return;
		this.hasQuit = true;
		this.emit("quit");
	}

	requestSingleInstanceLock(): boolean {
		this.lockHeld = this.lockAvailable;
		return this.lockHeld;
	}
}

/** `powerSaveBlocker`: a log of starts and stops. */
export class FakeBlocker {
	readonly log: string[] = [];
	readonly active = new Set<number>();
	#next = 1;
	start(type: "prevent-app-suspension"): number {
		const id = this.#next++;
		this.active.add(id);
		this.log.push(`start ${type}`);
		return id;
	}
	stop(id: number): void {
		this.active.delete(id);
		this.log.push(`stop ${id}`);
	}
}

/** A `Menu` built from a template: the template itself. */
export interface FakeMenu {
	template: MenuItemTemplate[];
}

/** `Menu.buildFromTemplate`. */
export const fakeMenuFactory = { buildFromTemplate: (template: MenuItemTemplate[]): FakeMenu => ({ template }) };

/** Finds an item by label anywhere in a template. */
export function menuItem(template: MenuItemTemplate[], label: string): MenuItemTemplate | undefined {
	for (const item of template) {
		if (item.label === label) return item;
		const inner = item.submenu && menuItem(item.submenu, label);
		if (inner) return inner;
	}
	return undefined;
}

/** A `Tray` whose image is the state name. */
export class FakeTray extends EventEmitter {
	images: string[] = [];
	toolTip = "";
	menu: FakeMenu | null = null;
	destroyed = false;
	setImage(image: string): void {
		this.images.push(image);
	}
	setToolTip(toolTip: string): void {
		this.toolTip = toolTip;
	}
	setContextMenu(menu: FakeMenu | null): void {
		this.menu = menu;
	}
	destroy(): void {
		this.destroyed = true;
	}
}

/** Notifications shown, with a way to click them. */
export class FakeNotifications {
	readonly shown: (NotificationContent & { click(): void })[] = [];
	readonly create = (content: NotificationContent): NotificationLike => {
		const emitter = new EventEmitter();
		const entry = { ...content, click: () => emitter.emit("click") };
		return {
			on: (event, listener) => emitter.on(event, listener),
			show: () => this.shown.push(entry),
		};
	};
}

/** A `BrowserWindow`: visibility and what its page was sent. */
export class FakeWindow extends EventEmitter implements ManagedWindow {
	visible = false;
	minimized = false;
	focused = 0;
	destroyed = false;
	readonly sent: { channel: string; args: unknown[] }[] = [];
	readonly #contents = new EventEmitter();
	readonly webContents = {
		send: (channel: string, ...args: unknown[]) => void this.sent.push({ channel, args }),
		once: (event: "did-finish-load", listener: () => void) => this.#contents.once(event, listener),
	};
	/** The page finished loading. */
	load(): void {
		this.#contents.emit("did-finish-load");
	}
	show(): void {
		this.visible = true;
	}
	hide(): void {
		this.visible = false;
	}
	focus(): void {
		this.focused++;
	}
	isMinimized(): boolean {
		return this.minimized;
	}
	restore(): void {
		this.minimized = false;
	}
	isVisible(): boolean {
		return this.visible;
	}
	isDestroyed(): boolean {
		return this.destroyed;
	}
	/** The user clicks the window's close button; returns whether the close went ahead. */
	userClose(): boolean {
		const event = new FakeEvent();
		this.emit("close", event);
		if (!event.prevented) {
			this.destroyed = true;
			this.visible = false;
		}
		return !event.prevented;
	}
}

/** A hand-driven busy state. */
export class FakeBusy {
	current: BusySummary = idleSummary();
	readonly #listeners = new Set<BusyListener>();
	subscribe(listener: BusyListener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}
	set(patch: Partial<BusySummary>): void {
		const before = this.current;
		const next = { ...before, ...patch };
		next.busy = next.live.length > 0 || next.recordings.length > 0;
		next.level = next.failedSessions.length > 0 ? "failed" : next.live.length > 0 ? "live" : next.recordings.length > 0 ? "recording" : "idle";
		this.current = next;
		for (const l of this.#listeners) l(next, before);
	}
}

/** Nothing going on. */
export function idleSummary(): BusySummary {
	return { live: [], recordings: [], failedSessions: [], busy: false, level: "idle" };
}

/** A summary with one Go Live. */
export function liveItem(id = "live-1", path = "live/me.hang"): BusySummary["live"][number] {
	return { id, kind: "golive", originId: "o", path, startedAt: 0 };
}

/** A summary with one recording. */
export function recordingItem(id = "rec-1", path = "live/me.hang"): BusySummary["recordings"][number] {
	return { id, originId: "o", path, file: null, state: "recording" };
}
