// Package fmtjson formats the lines dinit relays: it decides whether a
// service's stdout line is one JSON object, appends dinit's fields to it, and
// formats the timestamped prefix form used for everything else.
//
// Every function appends to a caller-owned slice and allocates nothing, so
// that relaying a line costs no garbage (the log path of a busy container runs
// millions of lines through here).
//
// # Invalid UTF-8
//
// RFC 8259 requires UTF-8, but services write whatever bytes they have, and
// encoding/json itself accepts invalid UTF-8 inside strings (json.Valid
// reports true; decoding turns each bad byte into U+FFFD). dinit follows
// encoding/json: such a line is still a JSON object ([ValidBadUTF8]) and still
// goes to stdout, but [AppendAugmented] repairs it, replacing each byte that
// is not part of a valid UTF-8 sequence by U+FFFD (one per byte, as
// utf8.DecodeRune reports them). So the line is not lost to stderr, decodes to
// exactly what encoding/json would have decoded from the original, and dinit's
// stdout is always valid UTF-8, one valid JSON object per line.
package fmtjson
