package fmtjson

import (
	"math/rand/v2"
	"strings"
)

// gen writes random JSON-ish text: valid objects with every kind of token,
// whitespace and string content, which mutate then turns into near misses.
type gen struct {
	r *rand.Rand
	b []byte
}

func (g *gen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func (g *gen) space() {
	if g.r.IntN(4) == 0 {
		g.b = append(g.b, g.pick(" ", "\t", "\r", "\n", "  ", " \t ")...)
	}
}

func (g *gen) object(depth int) {
	g.b = append(g.b, '{')
	n := g.r.IntN(5)
	for i := 0; i < n; i++ {
		if i > 0 {
			g.b = append(g.b, ',')
		}
		g.space()
		g.str()
		g.space()
		g.b = append(g.b, ':')
		g.value(depth + 1)
	}
	g.space()
	g.b = append(g.b, '}')
}

func (g *gen) array(depth int) {
	g.b = append(g.b, '[')
	n := g.r.IntN(4)
	for i := 0; i < n; i++ {
		if i > 0 {
			g.b = append(g.b, ',')
		}
		g.value(depth + 1)
	}
	g.space()
	g.b = append(g.b, ']')
}

func (g *gen) value(depth int) {
	g.space()
	k := g.r.IntN(10)
	if depth > 6 {
		k = 4 + g.r.IntN(6)
	}
	switch k {
	case 0, 1:
		g.object(depth)
	case 2, 3:
		g.array(depth)
	case 4, 5:
		g.str()
	case 6, 7:
		g.number()
	default:
		g.b = append(g.b, g.pick("true", "false", "null")...)
	}
	g.space()
}

// str writes a string of plain text, escapes, multi-byte runes and
// sometimes invalid UTF-8, long enough at times to exercise the word scan.
func (g *gen) str() {
	g.b = append(g.b, '"')
	n := g.r.IntN(6)
	if g.r.IntN(5) == 0 {
		n += 20
	}
	for i := 0; i < n; i++ {
		g.b = append(g.b, g.pick(
			"a", "hello world", "/api/v1/items", "0123456789abcdef", "~", "\x7f",
			`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\u00e9`, `\uD83D\uDE00`, `\ud800`, `\udc00`, `\uDBFF`,
			"é", "€", "🐢", "日本語", "\xff", "\xc3", "\xed\xa0\x80", "\xe2\x82",
		)...)
	}
	g.b = append(g.b, '"')
}

func (g *gen) number() {
	g.b = append(g.b, g.pick("", "-")...)
	g.b = append(g.b, g.pick("0", "1", "9", "12", "200", "123456789012345678901234567890")...)
	if g.r.IntN(3) == 0 {
		g.b = append(g.b, g.pick(".0", ".5", ".25", ".000001")...)
	}
	if g.r.IntN(4) == 0 {
		g.b = append(g.b, g.pick("e", "E")...)
		g.b = append(g.b, g.pick("", "+", "-")...)
		g.b = append(g.b, g.pick("0", "5", "10", "308")...)
	}
}

// mutate damages a copy of b in one of the ways lines go wrong.
func (g *gen) mutate(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	b = append([]byte(nil), b...)
	i := g.r.IntN(len(b))
	switch g.r.IntN(6) {
	case 0: // delete a byte
		return append(b[:i], b[i+1:]...)
	case 1: // overwrite with a byte that matters to the grammar
		b[i] = g.pick(`{`, `}`, `[`, `]`, `"`, `\`, `,`, `:`, `0`, `-`, `.`, `e`, "\x01", "\xff", " ", "x")[0]
		return b
	case 2: // insert one
		c := g.pick(`{`, `}`, `"`, `,`, `0`, `.`, "\x00", " ")
		return append(b[:i], append([]byte(c), b[i:]...)...)
	case 3: // truncate
		return b[:i]
	case 4: // append junk
		return append(b, g.pick(" {}", "x", ",", "}", " ", "\n")...)
	}
	return []byte(strings.Replace(string(b), g.pick(`:`, `,`, `"`, `0`), g.pick(``, `::`, `,,`, `00`), 1))
}

// corpus returns n generated lines, about half of them mutated.
func corpus(seed uint64, n int) [][]byte {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed+1))}
	var out [][]byte
	for i := 0; i < n; i++ {
		g.b = nil
		g.space()
		if g.r.IntN(20) == 0 {
			g.value(0) // sometimes not an object at all
		} else {
			g.object(0)
		}
		g.space()
		line := g.b
		if g.r.IntN(2) == 0 {
			line = g.mutate(line)
		}
		out = append(out, line)
	}
	return out
}
