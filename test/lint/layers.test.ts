import { readFileSync } from "node:fs";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImportErrors(filePath: string, code: string): Promise<string[]> {
	const [result] = await eslint.lintText(code, { filePath });
	return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("the layer rules of DESIGN.md §2", () => {
	it("fail when the engine imports electron", async () => {
		const errors = await restrictedImportErrors("electron/engine/fixture.ts", 'import { app } from "electron";\nexport const a = app;\n');
		expect(errors).toHaveLength(1);
		expect(errors[0]).toMatch(/Only electron\/main\.ts/);
	});

	it("fail when the renderer imports electron or anything under electron/", async () => {
		for (const source of ['import { ipcRenderer } from "electron";', 'import { Studio } from "../../electron/engine/studio";', 'import fs from "node:fs";']) {
			const errors = await restrictedImportErrors("renderer/src/fixture.ts", `${source}\nexport const x = 1;\n`);
			expect(errors.length, source).toBeGreaterThanOrEqual(1);
		}
	});

	it("allow electron where the host lives, and shared/ everywhere", async () => {
		expect(await restrictedImportErrors("electron/ipc/fixture.ts", 'import { ipcMain } from "electron";\nexport const m = ipcMain;\n')).toEqual([]);
		expect(await restrictedImportErrors("renderer/src/fixture.ts", 'import { ErrorCode } from "../../shared/errors";\nexport const c = ErrorCode;\n')).toEqual([]);
	});

	it("keeps APP_VERSION equal to package.json's version", async () => {
		const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
		const { APP_VERSION } = await import("../../electron/engine/version");
		expect(APP_VERSION).toBe(pkg.version);
	});
});
