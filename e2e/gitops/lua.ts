// Runs integrations/argocd/health.lua (or threatfeed-health.lua) the way Argo CD does: in gopher-lua (its `glua` interpreter,
// built by hack/build-glua.sh), with the resource as the global `obj` and only the libraries
// Argo CD opens for a configured health check, and reads back the table the script returns.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const repoRoot = (): string => process.env['BULKHEAD_ROOT'] ?? process.cwd();

/** The gopher-lua release hack/build-glua.sh builds (its GLUA_VERSION default). */
export const GLUA_VERSION = 'v1.1.2';

export const HEALTH_SCRIPT = path.join('integrations', 'argocd', 'health.lua');

/** Argo CD's health check for ThreatFeeds. */
export const THREATFEED_HEALTH_SCRIPT = path.join('integrations', 'argocd', 'threatfeed-health.lua');

/**
 * gluaPath is where hack/build-glua.sh puts glua: $BULKHEAD_GLUA when set, else
 * `${BULKHEAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulkhead}/glua-<version>/glua`. It throws,
 * saying how to build it, when there is none: the Argo CD suite must not pass without running Lua.
 */
export function gluaPath(): string {
  const env = process.env;
  const explicit = env['BULKHEAD_GLUA'];
  const cache = nonEmpty(env['BULKHEAD_CACHE']) ?? path.join(nonEmpty(env['XDG_CACHE_HOME']) ?? path.join(os.homedir(), '.cache'), 'bulkhead');
  const glua = nonEmpty(explicit) ?? path.join(cache, `glua-${GLUA_VERSION}`, 'glua');
  if (!existsSync(glua)) throw new Error(`glua (gopher-lua ${GLUA_VERSION}) not found at ${glua}: run \`make glua\` (hack/build-glua.sh builds it from the Go module proxy)`);
  return glua;
}

const nonEmpty = (s: string | undefined): string | undefined => (s === undefined || s === '' ? undefined : s);

/**
 * luaString is a Lua string literal holding exactly the UTF-8 bytes of `s`: printable ASCII as is,
 * every other byte (quotes, backslash, control characters, non-ASCII) as a three-digit decimal
 * escape, which Lua 5.1 and gopher-lua read as that byte whatever character follows.
 */
export function luaString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'utf8')) {
    const printable = byte >= 0x20 && byte <= 0x7e && byte !== 0x22 && byte !== 0x5c;
    out += printable ? String.fromCharCode(byte) : `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

/**
 * toLuaLiteral writes JSON data as a Lua table constructor, as Argo CD's decodeValue builds it:
 * arrays become 1-based sequences, objects `["key"]=value` tables, null becomes nil (an absent key).
 */
export function toLuaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a JSON number: ${value}`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map(toLuaLiteral).join(', ')}}`;
  if (typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `[${luaString(k)}]=${toLuaLiteral(v)}`).join(', ')}}`;
  }
  throw new Error(`not JSON data: ${typeof value}`);
}

// Argo CD opens only the base, package and table libraries and a reduced os for a configured
// health check (util/lua/lua.go, useOpenLibs false); glua opens them all. Close what Argo CD does
// not have, string methods included, so that a script relying on them fails here too.
const ARGOCD_SANDBOX = [
  'do local mt = getmetatable("") if mt ~= nil then rawset(mt, "__index", nil) end end',
  'string, math, io, os, coroutine, debug, channel = nil, nil, nil, nil, nil, nil, nil',
].join('\n');

/** The Lua program: the sandbox, `obj`, the health script as a function body, then the result. */
export function healthProgram(obj: unknown, script: string): string {
  return [
    ARGOCD_SANDBOX,
    `obj = ${toLuaLiteral(obj)}`,
    'local function health_check()',
    script,
    'end',
    'local result = health_check()',
    'print(result.status)',
    'print(result.message)',
    '',
  ].join('\n');
}

export interface Health {
  status: string;
  message: string;
}

/** runLua runs a program with glua and returns its standard output; it rejects on any error. */
export function runLua(program: string): Promise<string> {
  const glua = gluaPath();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bulkhead-lua-'));
  const file = path.join(dir, 'program.lua');
  writeFileSync(file, program);
  return new Promise<string>((resolve, reject) => {
    execFile(glua, [file], { timeout: 10_000 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      if (err !== null) reject(new Error(`glua ${file}: ${err.message}\n${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}

/** argoHealth runs integrations/argocd/health.lua (or `script`) on `obj` and returns status and message. */
export async function argoHealth(obj: unknown, script: string = readFileSync(path.join(repoRoot(), HEALTH_SCRIPT), 'utf8')): Promise<Health> {
  const out = await runLua(healthProgram(obj, script));
  const newline = out.indexOf('\n');
  if (newline < 0) throw new Error(`health script printed no status: ${JSON.stringify(out)}`);
  return { status: out.slice(0, newline), message: out.slice(newline + 1).replace(/\n$/, '') };
}
