// A test-only fault injector for `segment run`, loaded before the CLI with
//
//   node --import ./test/faults/shim.mjs bin/segment.js run ...
//
// It wraps the functions of node:fs (sync and callback forms; streams go through them
// too) and calls module.syncBuiltinESMExports(), so the product's named ESM imports
// (`import { openSync } from "node:fs"`) see the wrappers. No product code is changed.
// Configured by SEGMENT_FAULT, comma-separated:
//
//   under=/abs/state:/abs/out   only operations on paths (or descriptors opened on paths)
//                               inside these folders are counted and may fail
//   nth=N                       the Nth such operation (1-based) fails; without it, count only
//   errno=ENOSPC|EIO|EACCES     the error it fails with (default EIO)
//   persist=1                   every operation from the Nth on fails, not only the Nth
//   short=1                     nth counts writes only (write and writeSync): the Nth write
//                               writes half of its bytes and returns that count (a disk
//                               filling up); with persist=1 every operation after it fails
//                               with errno. Writes, not operations, because a run writes its
//                               state and its output files at the same time: the order of
//                               operations across files varies from run to run, and the Nth
//                               operation of one run may not be a write in the next.
//   log=/abs/file               appends one JSON line per counted operation:
//                               { n, op, path, after, faulted } (after: the last RUN_STEPS step
//                               the run reported, null before the first)
//
// How a failure looks: as Node's own errors (code, errno, syscall; path only on calls that
// take a path, none on descriptor calls such as write or fsync). A failing close still
// closes the descriptor, as close(2) does; a failing existsSync returns false, as Node's does.
import fs from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { Buffer } from 'node:buffer';

const DESCRIPTIONS = { ENOSPC: 'no space left on device', EIO: 'i/o error', EACCES: 'permission denied' };

function parseSpec(text) {
  const spec = { under: [], nth: 0, errno: 'EIO', persist: false, short: false, log: undefined };
  for (const part of text.split(',')) {
    const i = part.indexOf('=');
    const key = i < 0 ? part : part.slice(0, i);
    const value = i < 0 ? '1' : part.slice(i + 1);
    if (key === 'under') spec.under = value.split(':').filter(Boolean).map((d) => path.resolve(d));
    else if (key === 'nth') spec.nth = Number(value);
    else if (key === 'errno') spec.errno = value;
    else if (key === 'persist') spec.persist = value === '1';
    else if (key === 'short') spec.short = value === '1';
    else if (key === 'log') spec.log = value;
    else if (key !== '' && key !== 'count') throw new Error(`SEGMENT_FAULT: unknown key ${key}`);
  }
  if (!(spec.errno in DESCRIPTIONS)) throw new Error(`SEGMENT_FAULT: errno ${spec.errno} is not one of ${Object.keys(DESCRIPTIONS).join(', ')}`);
  return spec;
}

const text = process.env.SEGMENT_FAULT;
if (text) install(parseSpec(text));

function install(spec) {
  const real = { ...fs };
  const fds = new Map();
  let n = 0;
  /** Writes counted, and the operation number of the short write once made (short=1). */
  let w = 0;
  let shortAt = 0;
  let after = null;
  process.on('segment:run-step', (step) => (after = step));

  const toPath = (p) => {
    if (p instanceof URL) return fileURLToPath(p);
    if (Buffer.isBuffer(p)) return p.toString();
    return typeof p === 'string' ? p : undefined;
  };
  const watchedPath = (p) => {
    const s = toPath(p);
    if (s === undefined) return undefined;
    const abs = path.resolve(s);
    return spec.under.some((d) => abs === d || abs.startsWith(d + path.sep)) ? abs : undefined;
  };
  const watchedFd = (fd) => (typeof fd === 'number' ? fds.get(fd) : undefined);

  const sysError = (syscall, p) => {
    const e = new Error(`${spec.errno}: ${DESCRIPTIONS[spec.errno]}, ${syscall}${p === undefined ? '' : ` '${p}'`}`);
    e.errno = -os.constants.errno[spec.errno];
    e.code = spec.errno;
    e.syscall = syscall;
    if (p !== undefined) e.path = p;
    return e;
  };

  // Node's own fs functions call others (readFileSync opens, rmSync lstats and unlinks):
  // only the product's calls count, and fail; what Node does inside them runs as it is.
  let depth = 0;
  const inner = (f) => {
    depth++;
    try {
      return f();
    } finally {
      depth--;
    }
  };

  /** Counts an operation on `file`; returns "fail", "short" or undefined (go ahead). */
  const count = (op, file) => {
    if (depth > 0) return undefined;
    n++;
    const write = op === 'write' || op === 'writeSync';
    if (write) w++;
    let verdict;
    if (spec.short) {
      if (write && w === spec.nth) {
        verdict = 'short';
        shortAt = n;
      } else if (spec.persist && shortAt > 0) verdict = 'fail';
    } else if (spec.nth > 0 && (n === spec.nth || (spec.persist && n > spec.nth))) verdict = 'fail';
    if (spec.log) real.appendFileSync(spec.log, JSON.stringify({ n, op, path: file, after, faulted: verdict ?? false }) + '\n');
    return verdict;
  };

  const remember = (fd, file) => {
    if (file !== undefined && typeof fd === 'number') fds.set(fd, file);
    return fd;
  };

  // Calls that take a path first: [name, syscall of the error].
  const pathCalls = {
    mkdirSync: 'mkdir', rmSync: 'rm', unlinkSync: 'unlink', rmdirSync: 'rmdir', readdirSync: 'scandir', statSync: 'stat', lstatSync: 'lstat',
    chmodSync: 'chmod', mkdtempSync: 'mkdtemp', writeFileSync: 'open', appendFileSync: 'open', truncateSync: 'open', accessSync: 'access', realpathSync: 'lstat',
  };
  for (const [name, syscall] of Object.entries(pathCalls)) {
    fs[name] = function (p, ...rest) {
      const file = typeof p === 'number' ? watchedFd(p) : watchedPath(p);
      if (file !== undefined && count(name, file)) throw sysError(syscall, typeof p === 'number' ? undefined : file);
      return inner(() => real[name].call(this, p, ...rest));
    };
  }
  fs.existsSync = function (p) {
    const file = watchedPath(p);
    if (file !== undefined && count('existsSync', file)) return false;
    return inner(() => real.existsSync.call(this, p));
  };
  fs.readFileSync = function (p, ...rest) {
    const file = typeof p === 'number' ? watchedFd(p) : watchedPath(p);
    if (file !== undefined && count('readFileSync', file)) throw sysError(typeof p === 'number' ? 'read' : 'open', typeof p === 'number' ? undefined : file);
    return inner(() => real.readFileSync.call(this, p, ...rest));
  };
  fs.openSync = function (p, ...rest) {
    const file = watchedPath(p);
    if (file !== undefined && count('openSync', file)) throw sysError('open', file);
    return remember(inner(() => real.openSync.call(this, p, ...rest)), file);
  };
  fs.renameSync = function (from, to) {
    const file = watchedPath(from) ?? watchedPath(to);
    if (file !== undefined && count('renameSync', file)) {
      const e = sysError('rename', watchedPath(from) ?? path.resolve(toPath(from)));
      e.dest = path.resolve(toPath(to));
      e.message += ` -> '${e.dest}'`;
      throw e;
    }
    return inner(() => real.renameSync.call(this, from, to));
  };
  fs.closeSync = function (fd) {
    const file = watchedFd(fd);
    const verdict = file !== undefined ? count('closeSync', file) : undefined;
    fds.delete(fd);
    inner(() => real.closeSync.call(this, fd));
    if (verdict) throw sysError('close');
  };
  // Descriptor calls: [name, syscall].
  const fdCalls = { fsyncSync: 'fsync', fdatasyncSync: 'fdatasync', fchmodSync: 'fchmod', fstatSync: 'fstat', readSync: 'read', ftruncateSync: 'ftruncate', fchownSync: 'fchown' };
  for (const [name, syscall] of Object.entries(fdCalls)) {
    fs[name] = function (fd, ...rest) {
      const file = watchedFd(fd);
      if (file !== undefined && count(name, file)) throw sysError(syscall);
      return inner(() => real[name].call(this, fd, ...rest));
    };
  }
  /** The arguments of a write cut to half its bytes: [buffer, offset, length, position]. */
  const halve = (data, a, b, c) => {
    if (typeof data === 'string') {
      const buf = Buffer.from(data, typeof b === 'string' ? b : 'utf8');
      return [buf, 0, Math.floor(buf.length / 2), typeof a === 'number' ? a : null];
    }
    const off = typeof a === 'number' ? a : 0;
    const len = typeof b === 'number' ? b : data.byteLength - off;
    return [data, off, Math.floor(len / 2), c ?? null];
  };
  fs.writeSync = function (fd, data, ...rest) {
    const file = watchedFd(fd);
    const verdict = file !== undefined ? count('writeSync', file) : undefined;
    if (verdict === 'fail') throw sysError('write');
    if (verdict === 'short') return inner(() => real.writeSync.call(this, fd, ...halve(data, ...rest)));
    return inner(() => real.writeSync.call(this, fd, data, ...rest));
  };

  // Callback forms (also what fs streams call): the error comes on the next tick.
  const lastFn = (args) => (typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined);
  const failLater = (args, e) => {
    const cb = lastFn(args);
    if (!cb) throw e;
    process.nextTick(cb, e);
  };
  fs.write = function (fd, data, ...rest) {
    const file = watchedFd(fd);
    const verdict = file !== undefined ? count('write', file) : undefined;
    if (verdict === 'fail') return failLater(rest, sysError('write'));
    if (verdict === 'short') {
      const cb = lastFn(rest);
      const [buf, off, len, pos] = halve(data, ...rest.slice(0, -1));
      return inner(() => real.write.call(this, fd, buf, off, len, pos, cb));
    }
    return inner(() => real.write.call(this, fd, data, ...rest));
  };
  fs.open = function (p, ...rest) {
    const file = watchedPath(p);
    if (file !== undefined && count('open', file)) return failLater(rest, sysError('open', file));
    const cb = lastFn(rest);
    return inner(() => real.open.call(this, p, ...rest.slice(0, -1), (e, fd) => cb(e, e ? fd : remember(fd, file))));
  };
  fs.close = function (fd, ...rest) {
    const file = watchedFd(fd);
    const verdict = file !== undefined ? count('close', file) : undefined;
    fds.delete(fd);
    const cb = lastFn(rest) ?? (() => {});
    return inner(() => real.close.call(this, fd, (e) => cb(e ?? (verdict ? sysError('close') : null))));
  };
  for (const [name, syscall] of Object.entries({ fsync: 'fsync', fdatasync: 'fdatasync', read: 'read', fstat: 'fstat', fchmod: 'fchmod' })) {
    fs[name] = function (fd, ...rest) {
      const file = watchedFd(fd);
      if (file !== undefined && count(name, file)) return failLater(rest, sysError(syscall));
      return inner(() => real[name].call(this, fd, ...rest));
    };
  }
  for (const [name, syscall] of Object.entries({ rename: 'rename', mkdir: 'mkdir', unlink: 'unlink', rm: 'rm', readdir: 'scandir', stat: 'stat', lstat: 'lstat', readFile: 'open', writeFile: 'open' })) {
    fs[name] = function (p, ...rest) {
      const file = typeof p === 'number' ? watchedFd(p) : watchedPath(p);
      if (file !== undefined && count(name, file)) return failLater(rest, sysError(syscall, typeof p === 'number' ? undefined : file));
      return inner(() => real[name].call(this, p, ...rest));
    };
  }
  module.syncBuiltinESMExports();
}
