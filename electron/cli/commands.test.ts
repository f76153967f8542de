import { describe, expect, it } from "vitest";
import { commands } from "./commands";

describe("the lazy command list", () => {
	it("names and summarizes each command exactly as its module does", async () => {
		for (const entry of commands) {
			const cmd = await entry.load();
			expect({ name: cmd.name, summary: cmd.summary }).toEqual({ name: entry.name, summary: entry.summary });
		}
	});
});
