const N = 1_000_000;
function time(name: string, f: (i: number) => unknown) {
  for (let i = 0; i < 50000; i++) f(i);
  const s = process.cpuUsage();
  for (let i = 0; i < N; i++) f(i);
  const u = process.cpuUsage(s);
  console.log(name.padEnd(20), (((u.user + u.system) / N) * 1000).toFixed(0), 'ns');
}
const S = Symbol('b');
const wm = new WeakMap<object, Uint8Array>();
const buf = Buffer.alloc(300, 1);
const mk = () => ({ $typeName: 'x', id: 0n, key: buf, disco: '', a: [] as string[] });
time('alloc obj', () => mk());
time('weakmap', () => wm.set(mk(), buf));
time('defineProperty', () => Object.defineProperty(mk(), S, { value: buf, enumerable: false }));
time('symbol assign', () => { const o = mk() as Record<symbol, unknown>; o[S] = buf; return o; });
time('slice (Uint8Array)', () => Uint8Array.prototype.slice.call(buf, 10, 290));
time('allocUnsafe+set', () => { const b = Buffer.allocUnsafe(280); b.set(buf.subarray(10, 290)); return b; });
time('copy', () => { const b = Buffer.allocUnsafe(280); buf.copy(b, 0, 10, 290); return b; });
time('toString latin1', () => buf.toString('latin1', 10, 74));
time('latin1Slice', () => (buf as any).latin1Slice(10, 74));
time('Buffer.from view+str', () => Buffer.from(buf.buffer, buf.byteOffset + 10, 64).toString('latin1'));
const I64 = new BigInt64Array(1); const U32 = new Uint32Array(I64.buffer);
time('bigint via array', (i) => { U32[0] = i; U32[1] = 0x80000000 | i; return I64[0]; });
time('bigint arith', (i) => BigInt.asIntN(64, (BigInt((0x80000000 | i) >>> 0) << 32n) | BigInt(i >>> 0)));
