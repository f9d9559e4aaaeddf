// Package fmtjson formats the lines dinit relays: it decides whether a
// service's stdout line is one JSON object and appends dinit's fields to it
// ([Object], [AppendAugmented]), wraps any other line as the "msg" of an
// object with the same fields ([AppendWrapped]), and formats the timestamped
// prefix form ([AppendPrefixed]).
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
// encoding/json: such a line is still a JSON object ([ValidRepair]) and still
// goes to stdout, but [AppendAugmented] repairs it, replacing each byte that
// is not part of a valid UTF-8 sequence by U+FFFD (one per byte, as
// utf8.DecodeRune reports them). So the line is not lost to stderr, decodes to
// exactly what encoding/json would have decoded from the original, and dinit's
// stdout is always valid UTF-8, one valid JSON object per line.
//
// # Lone surrogates
//
// A \uXXXX escape in D800-DBFF (a UTF-16 high surrogate) must be followed at
// once by one in DC00-DFFF (a low surrogate): the pair stands for one rune
// above U+FFFF. A surrogate escape that is not half of such a pair is lone:
// encoding/json accepts it and decodes it to U+FFFD, but jq and other strict
// parsers reject the whole line. dinit again follows encoding/json: the line
// is an object ([ValidRepair]), and [AppendAugmented] writes each lone
// surrogate escape as \ufffd, the escape of what encoding/json decodes it
// to, keeping pairs as written. Escapes are read whole, so in "\\ud800" the
// backslash is escaped and "ud800" is text. Checking costs nothing on lines
// without \u escapes, and one comparison per escape outside D800-DFFF.
package fmtjson
