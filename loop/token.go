package loop

// Token names one registration. The low 32 bits are the slot index, the high
// 32 bits the slot's generation at registration time.
type Token uint64

func makeToken(slot, gen uint32) Token { return Token(uint64(gen)<<32 | uint64(slot)) }

func (t Token) slot() uint32 { return uint32(t) }
func (t Token) gen() uint32  { return uint32(t >> 32) }

// Handler receives the epoll event bits of its registration. It runs on the
// loop thread and must only record what happened.
type Handler interface {
	Event(events uint32)
}

type slot struct {
	handler Handler
	fd      int
	gen     uint32
	live    bool
}
