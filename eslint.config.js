// @ts-check
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Imports that would break the layers of DESIGN.md §2. */
const electronImport = {
	name: "electron",
	message: "Only electron/main.ts, electron/preload.ts and electron/ipc/** may import electron (DESIGN.md §2).",
};

export default tseslint.config(
	{ ignores: ["out/**", "dist/**", "node_modules/**", "coverage/**", "test/fixtures/**"] },
	js.configs.recommended,
	...tseslint.configs.recommended,
	{
		languageOptions: {
			ecmaVersion: 2024,
			sourceType: "module",
			globals: { ...globals.node },
		},
		rules: {
			"@typescript-eslint/no-explicit-any": "error",
			"@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
			"@typescript-eslint/consistent-type-imports": "error",
			"no-restricted-syntax": [
				"error",
				{ selector: "CallExpression[callee.property.name='executeJavaScript']", message: "No executeJavaScript in the studio." },
			],
		},
	},
	{
		files: ["electron/engine/**", "electron/web/**", "electron/cli/**", "electron/cli.ts", "shared/**"],
		rules: {
			"no-restricted-imports": ["error", { paths: [electronImport], patterns: [{ group: ["electron/*"], message: electronImport.message }] }],
		},
	},
	{
		files: ["renderer/**"],
		languageOptions: { globals: { ...globals.browser } },
		rules: {
			"no-restricted-imports": [
				"error",
				{
					paths: [electronImport],
					patterns: [
						{ group: ["electron/*"], message: electronImport.message },
						{
							group: ["**/electron/**", "**/electron"],
							message: "The renderer talks to the engine only through StudioApi; import shared/, never electron/ (DESIGN.md §2).",
						},
						{ group: ["node:*"], message: "The renderer runs sandboxed in a browser: no Node modules." },
					],
				},
			],
		},
	},
);
