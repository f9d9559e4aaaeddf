package main

import "bytes"

// The go command writes the build information into the binary as a blob
// of its own section (.go.buildinfo, 16-byte aligned): a 32-byte header
// that starts with buildInfoMagic and whose flags byte (offset 15) has bit
// 0x2 (strings inline, since Go 1.18), then two strings, each a uvarint
// length and the bytes: the Go version and the module information. The
// latter is framed by 16-byte sentinels on each side, the second one
// after a newline. As in debug/buildinfo, which links too much to use.
var buildInfoMagic = []byte("\xff Go buildinf:")

// modinfo returns the module information of a Go executable; "" when it
// has none. Every aligned copy of the magic is tried: the magic is also
// among our own string constants, and only the real blob holds a Go
// version and a framed module information after it.
func modinfo(exe []byte) string {
	for at := 0; ; {
		i := bytes.Index(exe[at:], buildInfoMagic)
		if i < 0 {
			return ""
		}
		at += i
		if at%16 == 0 {
			if mod, ok := decodeBlob(exe[at:]); ok {
				return mod
			}
		}
		at++
	}
}

// decodeBlob reads a blob in the inline format; ok is false when it is
// not one.
func decodeBlob(blob []byte) (mod string, ok bool) {
	if len(blob) < 32 || blob[15]&0x2 == 0 {
		return "", false
	}
	vers, rest, ok := uvarintString(blob[32:])
	if !ok || !bytes.HasPrefix(vers, []byte("go")) {
		return "", false
	}
	framed, _, ok := uvarintString(rest)
	if !ok || len(framed) < 33 || framed[len(framed)-17] != '\n' {
		return "", false
	}
	return string(framed[16 : len(framed)-16]), true
}

// uvarintString reads a string prefixed by its length as a uvarint.
func uvarintString(b []byte) (s, rest []byte, ok bool) {
	var n uint64
	for i, shift := 0, uint(0); i < len(b) && shift < 64; i, shift = i+1, shift+7 {
		n |= uint64(b[i]&0x7f) << shift
		if b[i] < 0x80 {
			b = b[i+1:]
			if n > uint64(len(b)) {
				return nil, nil, false
			}
			return b[:n], b[n:], true
		}
	}
	return nil, nil, false
}
