/**
 * What the compositor draws with: the same few operations over a 2D canvas or WebGL2. WebGL2
 * uploads each source frame once per frame (however many layers show it) and composites on the
 * GPU, or in SwiftShader where Chromium runs without one; 2D draws straight from the frames.
 */

/** A rectangle in program pixels, y down. */
export interface Rect {
	x: number;
	y: number;
	w: number;
	h: number;
}

/** The part of a picture drawn, in its own pixels. */
export type SourceRect = Rect;

/** A picture a painter draws: a live frame or a decoded image, with a key that names its content. */
export interface Picture {
	/** Stable for one source (a source key, an image URL, a text layer id). */
	key: string;
	image: VideoFrame | ImageBitmap | OffscreenCanvas;
	width: number;
	height: number;
	/** False when `image` is the same content as last time with this key (no upload needed). */
	changed: boolean;
}

/** The drawing operations of the compositor. */
export interface Painter {
	readonly kind: "webgl2" | "2d";
	readonly canvas: OffscreenCanvas;
	/** Clears the program to black. */
	clear(): void;
	fill(colour: string, dest: Rect, alpha: number): void;
	draw(picture: Picture, src: SourceRect, dest: Rect, alpha: number): void;
	/** Forgets a picture's resources (an image no longer used). */
	forget(key: string): void;
}

/** Draws with a 2D context. */
export class Painter2D implements Painter {
	readonly kind = "2d";
	readonly #ctx: OffscreenCanvasRenderingContext2D;

	constructor(readonly canvas: OffscreenCanvas) {
		const ctx = canvas.getContext("2d", { alpha: false, desynchronized: true });
		if (!ctx) throw new Error("the compositor has no 2D canvas context");
		this.#ctx = ctx;
	}

	clear(): void {
		this.#ctx.globalAlpha = 1;
		this.#ctx.fillStyle = "#000000";
		this.#ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
	}

	fill(colour: string, d: Rect, alpha: number): void {
		this.#ctx.globalAlpha = alpha;
		this.#ctx.fillStyle = colour;
		this.#ctx.fillRect(d.x, d.y, d.w, d.h);
	}

	draw(p: Picture, s: SourceRect, d: Rect, alpha: number): void {
		this.#ctx.globalAlpha = alpha;
		this.#ctx.drawImage(p.image, s.x, s.y, s.w, s.h, d.x, d.y, d.w, d.h);
	}

	forget(): void {}
}

const VERTEX = `#version 300 es
in vec2 a_unit;
uniform vec4 u_dest;
uniform vec4 u_src;
uniform vec2 u_size;
out vec2 v_uv;
void main() {
	vec2 px = u_dest.xy + a_unit * u_dest.zw;
	gl_Position = vec4(px.x / u_size.x * 2.0 - 1.0, 1.0 - px.y / u_size.y * 2.0, 0.0, 1.0);
	v_uv = u_src.xy + a_unit * u_src.zw;
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec2 v_uv;
uniform sampler2D u_tex;
uniform vec4 u_colour;
uniform float u_alpha;
uniform bool u_solid;
out vec4 colour;
void main() {
	vec4 c = u_solid ? u_colour : texture(u_tex, v_uv);
	colour = vec4(c.rgb, c.a * u_alpha);
}`;

function parseColour(hex: string): [number, number, number] {
	const n = Number.parseInt(hex.slice(1), 16);
	return [((n >> 16) & 255) / 255, ((n >> 8) & 255) / 255, (n & 255) / 255];
}

/** Draws with WebGL2; construct with {@link PainterGL.create}, which returns undefined without a context. */
export class PainterGL implements Painter {
	readonly kind = "webgl2";
	readonly #gl: WebGL2RenderingContext;
	readonly #u: Record<"dest" | "src" | "size" | "colour" | "alpha" | "solid" | "tex", WebGLUniformLocation | null>;
	readonly #textures = new Map<string, WebGLTexture>();

	private constructor(
		readonly canvas: OffscreenCanvas,
		gl: WebGL2RenderingContext,
		program: WebGLProgram,
	) {
		this.#gl = gl;
		const u = (name: string) => gl.getUniformLocation(program, name);
		this.#u = { dest: u("u_dest"), src: u("u_src"), size: u("u_size"), colour: u("u_colour"), alpha: u("u_alpha"), solid: u("u_solid"), tex: u("u_tex") };
		gl.useProgram(program);
		const buffer = gl.createBuffer();
		gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
		gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
		const at = gl.getAttribLocation(program, "a_unit");
		gl.enableVertexAttribArray(at);
		gl.vertexAttribPointer(at, 2, gl.FLOAT, false, 0, 0);
		gl.enable(gl.BLEND);
		gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
		gl.viewport(0, 0, canvas.width, canvas.height);
		gl.uniform2f(this.#u.size, canvas.width, canvas.height);
		gl.uniform1i(this.#u.tex, 0);
	}

	/** The WebGL implementation's name (e.g. "SwiftShader" when Chromium has no GPU). */
	get device(): string {
		const gl = this.#gl;
		const info = gl.getExtension("WEBGL_debug_renderer_info");
		return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
	}

	/** True when WebGL runs on the CPU (SwiftShader, llvmpipe): there 2D draws the program far faster. */
	get software(): boolean {
		return /swiftshader|llvmpipe|software/i.test(this.device);
	}

	/** A WebGL2 painter on `canvas`, or undefined when the context or its shaders are not available. */
	static create(canvas: OffscreenCanvas): PainterGL | undefined {
		// preserveDrawingBuffer: the frame is read back (VideoFrame, preview) after drawing.
		const gl = canvas.getContext("webgl2", { alpha: false, antialias: false, preserveDrawingBuffer: true, desynchronized: true });
		if (!gl) return undefined;
		const shader = (type: number, text: string) => {
			const s = gl.createShader(type)!;
			gl.shaderSource(s, text);
			gl.compileShader(s);
			return gl.getShaderParameter(s, gl.COMPILE_STATUS) ? s : undefined;
		};
		const vs = shader(gl.VERTEX_SHADER, VERTEX);
		const fs = shader(gl.FRAGMENT_SHADER, FRAGMENT);
		if (!vs || !fs) return undefined;
		const program = gl.createProgram();
		gl.attachShader(program, vs);
		gl.attachShader(program, fs);
		gl.linkProgram(program);
		if (!gl.getProgramParameter(program, gl.LINK_STATUS)) return undefined;
		return new PainterGL(canvas, gl, program);
	}

	clear(): void {
		const gl = this.#gl;
		gl.clearColor(0, 0, 0, 1);
		gl.clear(gl.COLOR_BUFFER_BIT);
	}

	#quad(d: Rect, alpha: number): void {
		const gl = this.#gl;
		gl.uniform4f(this.#u.dest, d.x, d.y, d.w, d.h);
		gl.uniform1f(this.#u.alpha, alpha);
		gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
	}

	fill(colour: string, d: Rect, alpha: number): void {
		const gl = this.#gl;
		gl.uniform1i(this.#u.solid, 1);
		gl.uniform4f(this.#u.colour, ...parseColour(colour), 1);
		this.#quad(d, alpha);
	}

	draw(p: Picture, s: SourceRect, d: Rect, alpha: number): void {
		const gl = this.#gl;
		let texture = this.#textures.get(p.key);
		const fresh = !texture;
		if (!texture) {
			texture = gl.createTexture();
			this.#textures.set(p.key, texture);
			gl.bindTexture(gl.TEXTURE_2D, texture);
			gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
			gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
			gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
			gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
		} else gl.bindTexture(gl.TEXTURE_2D, texture);
		if (fresh || p.changed) gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, p.image);
		gl.uniform1i(this.#u.solid, 0);
		gl.uniform4f(this.#u.src, s.x / p.width, s.y / p.height, s.w / p.width, s.h / p.height);
		this.#quad(d, alpha);
	}

	forget(key: string): void {
		const texture = this.#textures.get(key);
		if (texture) this.#gl.deleteTexture(texture);
		this.#textures.delete(key);
	}
}
