package relay

// partialBudget is the memory that the unterminated lines of all sources of
// one output may pin together. One line may hold up to linebuf.DefaultLimit
// (1 MiB) while it waits for its newline; 200 services each keeping a line
// just under that on stdout and stderr would pin 400 MiB. Past the budget,
// the largest partial line is emitted at once as a piece (with a warning,
// as for a line over the limit) and its line goes on in pieces.
const partialBudget = 64 << 20

// partials accounts for what sources pin for unterminated lines: the
// capacity of their storage, as a pooled buffer may be larger than the line
// in it.
type partials struct {
	budget  int // 0: partialBudget
	held    int
	holders []*Source // the sources holding a partial line, in no order
}

func (p *partials) limit() int {
	if p.budget == 0 {
		return partialBudget
	}
	return p.budget
}

// set records that s now pins n bytes.
func (p *partials) set(s *Source, n int) {
	p.held += n - s.held
	s.held = n
	switch {
	case n > 0 && s.holder == 0:
		p.holders = append(p.holders, s)
		s.holder = len(p.holders)
	case n == 0 && s.holder != 0:
		last := p.holders[len(p.holders)-1]
		p.holders[s.holder-1], last.holder = last, s.holder
		p.holders[len(p.holders)-1] = nil
		p.holders = p.holders[:len(p.holders)-1]
		s.holder = 0
	}
}

// largest returns the source pinning the most.
func (p *partials) largest() *Source {
	var top *Source
	for _, s := range p.holders {
		if top == nil || s.held > top.held {
			top = s
		}
	}
	return top
}

// account records what s pins after a split, then cuts the largest partial
// lines while all of them pin more than the budget. Cutting the largest,
// rather than the line of the source that crossed the budget, keeps the
// cost on whoever hoards: a service whose read merely ends inside a line
// is not cut because others hold a great deal. Each cut empties a holder,
// so the loop ends; after one read, one cut is enough (the largest holds at
// least what that read added).
func (o *Output) account(s *Source) {
	o.partials.set(s, s.lines.Held())
	for o.partials.held > o.partials.limit() {
		top := o.partials.largest()
		top.cut()
		o.partials.set(top, 0)
	}
}
