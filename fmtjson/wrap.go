package fmtjson

// AppendWrapped appends line, a line that is not a JSON object, wrapped in
// one with dinit's fields, then '\n':
//
//	{"msg":<line as a JSON string>,<meta><ts>"<tail>}
//
// meta comes from [AppendMeta] and ts from [Clock.Bytes], as for
// [AppendAugmented]; tail is nil or more members precomputed by the caller,
// such as `,"stream":"stderr"`. The line is quoted as by [AppendQuoted], so
// whatever its bytes the result is one valid UTF-8 JSON object:
//
//	{"msg":"the line","service":"web","stage":"run","logged":"2026-...Z","stream":"stderr"}
func AppendWrapped(dst, line, meta, ts, tail []byte) []byte {
	// The quotes around the line go with the constant parts: two appends
	// fewer than AppendQuoted.
	dst = append(dst, `{"msg":"`...)
	dst = appendEscaped(dst, line)
	dst = append(dst, '"', ',')
	dst = append(dst, meta...)
	dst = append(dst, ts...)
	dst = append(dst, '"')
	dst = append(dst, tail...)
	return append(dst, '}', '\n')
}
