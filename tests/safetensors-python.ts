/**
 * @file The safetensors format written and read by hand in Python (struct + json + torch.frombuffer),
 * for parity tests on a torch without the `safetensors` package (Debian's). `st_dumps` lays a file
 * out as the reference implementation does (sorted by dtype, widest first, then by name; compact
 * JSON; spaces to a multiple of 8), so its bytes are what `safetensors.torch.save(tensors)` returns;
 * `st_loads` reads any valid file. Prepend PY_SAFETENSORS to a runTorch snippet; bytes cross as base64.
 */
export const PY_SAFETENSORS = `
import base64, struct
_ST_ORDER = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64']
_ST_OF = {torch.bool: 'BOOL', torch.uint8: 'U8', torch.int8: 'I8', torch.int16: 'I16', torch.float16: 'F16',
          torch.bfloat16: 'BF16', torch.int32: 'I32', torch.float32: 'F32', torch.float64: 'F64', torch.int64: 'I64'}
_TORCH_OF = {v: k for k, v in _ST_OF.items()}
def st_dumps(tensors, metadata=None):
    items = sorted(tensors.items(), key=lambda kv: (-_ST_ORDER.index(_ST_OF[kv[1].dtype]), kv[0].encode('utf-8')))
    header, blobs, off = {}, [], 0
    if metadata is not None:
        header['__metadata__'] = dict(sorted(metadata.items()))
    for name, t in items:
        b = t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        header[name] = {'dtype': _ST_OF[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
    h += b' ' * ((8 - len(h) % 8) % 8)
    return struct.pack('<Q', len(h)) + h + b''.join(blobs)
def st_loads(b):
    n = struct.unpack('<Q', b[:8])[0]
    header = json.loads(b[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', None)
    out = {}
    for name, info in header.items():
        s, e = info['data_offsets']
        dt = _TORCH_OF[info['dtype']]
        raw = bytearray(b[8 + n + s:8 + n + e])
        t = torch.frombuffer(raw, dtype=dt) if len(raw) > 0 else torch.empty(0, dtype=dt)
        out[name] = t.reshape(info['shape'])
    return out, meta
def b64(b):
    return base64.b64encode(b).decode('ascii')
def unb64(s):
    return base64.b64decode(s)
`;
