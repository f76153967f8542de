/**
 * Electron's security checklist, read straight from the source with the TypeScript parser.
 * Electronegativity misses options that reach Electron through variables (DESIGN.md §4), so the
 * literal `webPreferences`, the navigation and window-open handlers, the permission handler and
 * the Content-Security-Policy are checked here as written. Each function returns the problems it
 * found (empty when the checklist holds).
 */
import ts from "typescript";

type Literal = boolean | string | number | null | "<non-literal>";

function literalValue(node: ts.Expression): Literal {
	if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
	if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
	if (node.kind === ts.SyntaxKind.NullKeyword) return null;
	if (ts.isStringLiteralLike(node)) return node.text;
	if (ts.isNumericLiteral(node)) return Number(node.text);
	return "<non-literal>";
}

function propertyName(name: ts.PropertyName): string | undefined {
	if (ts.isIdentifier(name) || ts.isStringLiteralLike(name) || ts.isNumericLiteral(name)) return name.text;
	return undefined;
}

/** Reads an object literal whose every property is a plain `key: value`; spreads and methods are problems. */
function readObject(obj: ts.ObjectLiteralExpression, what: string, problems: string[]): Map<string, ts.Expression> {
	const props = new Map<string, ts.Expression>();
	for (const p of obj.properties) {
		const name = p.name ? propertyName(p.name) : undefined;
		if (!ts.isPropertyAssignment(p) || name === undefined) {
			problems.push(`${what}: only literal \`key: value\` properties can be checked (found ${ts.SyntaxKind[p.kind]})`);
			continue;
		}
		if (props.has(name)) problems.push(`${what}: ${name} is set twice`);
		props.set(name, p.initializer);
	}
	return props;
}

function isFunctionLike(node: ts.Node | undefined): node is ts.ArrowFunction | ts.FunctionExpression {
	return node !== undefined && (ts.isArrowFunction(node) || ts.isFunctionExpression(node));
}

/** The values a function returns (its concise body, or each `return` not inside a nested function). */
function returnedValues(fn: ts.ArrowFunction | ts.FunctionExpression): (ts.Expression | undefined)[] {
	if (!ts.isBlock(fn.body)) return [fn.body];
	const values: (ts.Expression | undefined)[] = [];
	const visit = (node: ts.Node): void => {
		if (ts.isFunctionLike(node)) return;
		if (ts.isReturnStatement(node)) values.push(node.expression);
		ts.forEachChild(node, visit);
	};
	ts.forEachChild(fn.body, visit);
	return values;
}

function unwrap(node: ts.Expression): ts.Expression {
	let n = node;
	while (ts.isParenthesizedExpression(n) || ts.isAsExpression(n) || ts.isSatisfiesExpression(n) || ts.isVoidExpression(n)) n = n.expression;
	return n;
}

/** `param.preventDefault()` as the concise body or a top-level statement of `fn` (unconditional). */
function alwaysPreventsDefault(fn: ts.ArrowFunction | ts.FunctionExpression): boolean {
	const param = fn.parameters[0]?.name;
	if (!param || !ts.isIdentifier(param)) return false;
	const isPrevent = (e: ts.Expression): boolean => {
		const call = unwrap(e);
		return (
			ts.isCallExpression(call) &&
			ts.isPropertyAccessExpression(call.expression) &&
			call.expression.name.text === "preventDefault" &&
			ts.isIdentifier(call.expression.expression) &&
			call.expression.expression.text === param.text
		);
	};
	if (!ts.isBlock(fn.body)) return isPrevent(fn.body);
	return fn.body.statements.some((s) => ts.isExpressionStatement(s) && isPrevent(s.expression));
}

function calledMethod(node: ts.Node): { name: string; call: ts.CallExpression } | undefined {
	if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return undefined;
	return { name: node.expression.name.text, call: node };
}

function enclosingFunctionName(node: ts.Node): string | undefined {
	for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
		if (ts.isFunctionDeclaration(n)) return n.name?.text;
		if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isVariableDeclaration(n.parent) && ts.isIdentifier(n.parent.name)) return n.parent.name.text;
		if (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) return undefined;
	}
	return undefined;
}

function containsCallTo(node: ts.Node, fnName: string): boolean {
	let found = false;
	const visit = (n: ts.Node): void => {
		if (found) return;
		if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === fnName) found = true;
		else ts.forEachChild(n, visit);
	};
	visit(node);
	return found;
}

/** Options a window's webPreferences must set, exactly as written. */
const REQUIRED_PREFERENCES: Record<string, boolean> = {
	contextIsolation: true,
	sandbox: true,
	nodeIntegration: false,
	webviewTag: false,
};
/** Options that may be left out (Electron's safe default) but never set to the unsafe value. */
const SAFE_IF_SET: Record<string, boolean> = {
	webSecurity: true,
	allowRunningInsecureContent: false,
	nodeIntegrationInWorker: false,
	nodeIntegrationInSubFrames: false,
	experimentalFeatures: false,
};
/** Options that must not appear at all. */
const FORBIDDEN_PREFERENCES = ["enableBlinkFeatures", "enableRemoteModule"];

function checkWebPreferences(prefs: ts.ObjectLiteralExpression, where: string, problems: string[]): void {
	const values = readObject(prefs, `${where} webPreferences`, problems);
	for (const [key, want] of Object.entries(REQUIRED_PREFERENCES)) {
		const node = values.get(key);
		const got = node ? literalValue(node) : undefined;
		if (got !== want) problems.push(`${where} webPreferences.${key} must be the literal ${want} (is ${node ? node.getText() : "unset"})`);
	}
	for (const [key, safe] of Object.entries(SAFE_IF_SET)) {
		const node = values.get(key);
		if (node && literalValue(node) !== safe) problems.push(`${where} webPreferences.${key} must be left out or the literal ${safe} (is ${node.getText()})`);
	}
	for (const key of FORBIDDEN_PREFERENCES) if (values.has(key)) problems.push(`${where} webPreferences.${key} must not be set`);
}

/**
 * Checks electron/main.ts: every BrowserWindow (and view) has literal, safe webPreferences; the
 * sandbox is enabled app-wide; new windows are always denied; navigation is always prevented on
 * every WebContents; a permission request handler is installed and never grants blindly.
 */
export function checkMainSource(code: string, fileName = "electron/main.ts"): string[] {
	const problems: string[] = [];
	const sf = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
	let windows = 0;
	let enableSandbox = false;
	const openHandlers: ts.CallExpression[] = [];
	const navigationHandlers: ts.CallExpression[] = [];
	const contentsCreated: ts.CallExpression[] = [];
	const permissionHandlers: ts.CallExpression[] = [];

	const visit = (node: ts.Node): void => {
		if (ts.isNewExpression(node)) {
			const ctor = ts.isIdentifier(node.expression) ? node.expression.text : ts.isPropertyAccessExpression(node.expression) ? node.expression.name.text : "";
			if (ctor === "BrowserWindow" || ctor === "BrowserView" || ctor === "WebContentsView") {
				const where = `${ctor} at line ${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
				if (ctor === "BrowserWindow") windows++;
				const options = node.arguments?.[0];
				if (!options || !ts.isObjectLiteralExpression(options)) {
					problems.push(`${where}: options must be an object literal so the checklist can be read`);
				} else {
					const prefs = readObject(options, where, problems).get("webPreferences");
					if (!prefs) {
						if (ctor === "BrowserWindow") problems.push(`${where}: webPreferences must be set`);
					} else if (!ts.isObjectLiteralExpression(prefs)) {
						problems.push(`${where}: webPreferences must be an object literal (is ${prefs.getText()})`);
					} else {
						checkWebPreferences(prefs, where, problems);
					}
				}
			}
		}
		const method = calledMethod(node);
		if (method) {
			const [first] = method.call.arguments;
			if (method.name === "enableSandbox") enableSandbox = true;
			if (method.name === "setWindowOpenHandler") openHandlers.push(method.call);
			if (method.name === "setPermissionRequestHandler") permissionHandlers.push(method.call);
			if (method.name === "on" && first && ts.isStringLiteralLike(first)) {
				if (first.text === "will-navigate") navigationHandlers.push(method.call);
				if (first.text === "web-contents-created") contentsCreated.push(method.call);
			}
		}
		ts.forEachChild(node, visit);
	};
	visit(sf);

	if (windows === 0) problems.push("no `new BrowserWindow({...})` found");
	if (!enableSandbox) problems.push("app.enableSandbox() is not called");

	if (openHandlers.length === 0) problems.push("setWindowOpenHandler is never installed");
	for (const call of openHandlers) {
		const fn = call.arguments[0];
		if (!isFunctionLike(fn)) {
			problems.push(`setWindowOpenHandler needs an inline function (is ${fn?.getText() ?? "nothing"})`);
			continue;
		}
		for (const value of returnedValues(fn)) {
			const obj = value && unwrap(value);
			const action = obj && ts.isObjectLiteralExpression(obj) ? readObject(obj, "window open handler result", problems).get("action") : undefined;
			if (!action || literalValue(action) !== "deny") problems.push(`setWindowOpenHandler must always return { action: "deny" } (returns ${value?.getText() ?? "nothing"})`);
		}
	}

	if (navigationHandlers.length === 0) problems.push('no "will-navigate" handler');
	const hardeners = new Set<string>();
	for (const call of navigationHandlers) {
		const fn = call.arguments[1];
		if (!isFunctionLike(fn) || !alwaysPreventsDefault(fn)) problems.push(`"will-navigate" handler must always call event.preventDefault() (is ${fn?.getText() ?? "nothing"})`);
		const owner = enclosingFunctionName(call);
		if (owner) hardeners.add(owner);
	}
	// Every WebContents, not just the first window, gets the navigation lock.
	const coversAll = contentsCreated.some((call) => {
		const fn = call.arguments[1];
		if (!fn) return false;
		return navigationHandlers.some((n) => fn.getStart() <= n.getStart() && n.getEnd() <= fn.getEnd()) || [...hardeners].some((h) => containsCallTo(fn, h));
	});
	if (!coversAll) problems.push('app "web-contents-created" must apply the "will-navigate" lock to every WebContents');

	if (permissionHandlers.length === 0) problems.push("setPermissionRequestHandler is never installed (Electron grants every permission by default)");
	for (const call of permissionHandlers) {
		const fn = call.arguments[0];
		if (!isFunctionLike(fn)) {
			problems.push(`setPermissionRequestHandler needs an inline function (is ${fn?.getText() ?? "nothing"})`);
			continue;
		}
		const callback = fn.parameters[2]?.name;
		const grantsBlindly = (n: ts.Node): boolean =>
			(ts.isCallExpression(n) &&
				ts.isIdentifier(n.expression) &&
				callback !== undefined &&
				ts.isIdentifier(callback) &&
				n.expression.text === callback.text &&
				n.arguments[0]?.kind === ts.SyntaxKind.TrueKeyword) ||
			(ts.forEachChild(n, grantsBlindly) ?? false);
		if (grantsBlindly(fn.body)) problems.push("setPermissionRequestHandler grants with callback(true) unconditionally somewhere");
	}
	return problems;
}

/** Parses a CSP string into directive -> sources. */
export function parseCsp(csp: string): Map<string, string[]> {
	const directives = new Map<string, string[]>();
	for (const part of csp.split(";")) {
		const [name, ...sources] = part.trim().split(/\s+/);
		if (name && !directives.has(name.toLowerCase())) directives.set(name.toLowerCase(), sources);
	}
	return directives;
}

/** Checks a CSP: scripts from the app itself only, never eval or inline, no plugins. */
export function checkCsp(csp: string, where: string): string[] {
	const problems: string[] = [];
	const d = parseCsp(csp);
	const scriptSrc = d.get("script-src") ?? d.get("default-src");
	if (!scriptSrc) return [`${where}: no script-src (nor default-src)`];
	if (!scriptSrc.includes("'self'")) problems.push(`${where}: script-src must include 'self'`);
	for (const bad of ["'unsafe-eval'", "'unsafe-inline'", "*", "data:", "blob:", "http:", "https:", "filesystem:"]) {
		if (scriptSrc.some((s) => s.toLowerCase() === bad)) problems.push(`${where}: script-src must not allow ${bad}`);
	}
	for (const s of scriptSrc) if (/^https?:\/\//i.test(s)) problems.push(`${where}: script-src must not allow remote origin ${s}`);
	const objectSrc = d.get("object-src") ?? d.get("default-src");
	if (!objectSrc || objectSrc.join(" ") !== "'none'") problems.push(`${where}: object-src must be 'none'`);
	return problems;
}

/** The CSP of an HTML page's `<meta http-equiv="Content-Security-Policy">`, or undefined. */
export function metaCsp(html: string): string | undefined {
	for (const [tag] of html.matchAll(/<meta\b[^>]*>/gis)) {
		const equiv = /\bhttp-equiv\s*=\s*["']([^"']*)["']/i.exec(tag)?.[1];
		if (equiv?.toLowerCase() !== "content-security-policy") continue;
		return /\bcontent\s*=\s*"([^"]*)"/i.exec(tag)?.[1] ?? /\bcontent\s*=\s*'([^']*)'/i.exec(tag)?.[1];
	}
	return undefined;
}
