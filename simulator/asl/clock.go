package asl

import (
	"container/heap"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// clock is the simulated clock every thread of an Executor shares, a
// discrete-event scheduler: simulated time advances only when every thread
// (execution, Map iteration, Parallel branch, Distributed Map slot) is
// waiting, either for a time (a request in flight, a Retry interval, a Wait
// state) or for the threads it started. It then jumps to the earliest time a
// thread waits for. So concurrency in simulated time is what the state
// machine says (MaxConcurrency, the inline Map's 40), however fast the
// threads run here, and requests reach the fakes in simulated-time order,
// which lets a fake rate-limit them.
type clock struct {
	mu      sync.Mutex
	now     time.Time
	active  int // threads running, not waiting
	q       wakeQueue
	seq     uint64
	quantum time.Duration // wake-ups round up to a multiple (0: exact)
}

type wakeup struct {
	at  time.Time
	seq uint64
	ch  chan struct{}
	h   *handoff // set for a deadline that races another thread's end
}

// handoff is a thread waiting for another thread's end or a deadline,
// whichever comes first.
type handoff struct {
	ch       chan struct{}
	fired    bool
	timedOut bool
}

type wakeQueue []*wakeup

func (q wakeQueue) Len() int { return len(q) }
func (q wakeQueue) Less(i, j int) bool {
	if q[i].at.Equal(q[j].at) {
		return q[i].seq < q[j].seq
	}
	return q[i].at.Before(q[j].at)
}
func (q wakeQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *wakeQueue) Push(x any)   { *q = append(*q, x.(*wakeup)) }
func (q *wakeQueue) Pop() any {
	old := *q
	w := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return w
}

// begin registers a new top-level thread that wants to start at start and
// returns the time it starts: start itself when nothing else runs (the clock
// is reset), else the clock's time (it joins what runs).
func (c *clock) begin(start time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active == 0 && len(c.q) == 0 {
		c.now = start
	}
	c.active++
	return c.now
}

// enter registers a thread started by a running one (at the clock's time).
func (c *clock) enter() {
	c.mu.Lock()
	c.active++
	c.mu.Unlock()
}

// exit unregisters a finished thread.
func (c *clock) exit() {
	c.mu.Lock()
	c.active--
	c.advanceLocked()
	c.mu.Unlock()
}

// sleepUntil blocks the calling thread until the clock reaches t and returns
// the clock's time then.
func (c *clock) sleepUntil(t time.Time) time.Time {
	if c.quantum > 0 {
		if r := t.UnixNano() % int64(c.quantum); r != 0 {
			t = t.Add(c.quantum - time.Duration(r))
		}
	}
	c.mu.Lock()
	if !t.After(c.now) {
		now := c.now
		c.mu.Unlock()
		return now
	}
	c.seq++
	w := &wakeup{at: t, seq: c.seq, ch: make(chan struct{})}
	heap.Push(&c.q, w)
	c.active--
	c.advanceLocked()
	c.mu.Unlock()
	<-w.ch
	return t
}

// advanceLocked moves time to the earliest wake-up once no thread runs, and
// wakes every thread waiting for that time.
func (c *clock) advanceLocked() {
	if c.active > 0 {
		return
	}
	for len(c.q) > 0 && c.q[0].h != nil && c.q[0].h.fired {
		heap.Pop(&c.q) // a deadline whose race is over
	}
	if len(c.q) == 0 {
		return
	}
	at := c.q[0].at
	c.now = at
	for len(c.q) > 0 && c.q[0].at.Equal(at) {
		w := heap.Pop(&c.q).(*wakeup)
		if w.h != nil {
			if w.h.fired {
				continue
			}
			w.h.fired, w.h.timedOut = true, true
			c.active++
			close(w.h.ch)
			continue
		}
		c.active++
		close(w.ch)
	}
}

// race runs fn in a new thread and blocks the calling thread until fn
// returns or the clock reaches deadline (zero: no deadline), whichever comes
// first; it reports whether the deadline came first (fn then goes on).
func (c *clock) race(deadline time.Time, fn func()) bool {
	h := &handoff{ch: make(chan struct{})}
	c.mu.Lock()
	c.active++ // fn's thread
	if !deadline.IsZero() {
		c.seq++
		heap.Push(&c.q, &wakeup{at: deadline, seq: c.seq, h: h})
	}
	c.active-- // the caller waits
	c.mu.Unlock()
	go func() {
		fn()
		c.mu.Lock()
		defer c.mu.Unlock()
		if !h.fired {
			h.fired = true
			close(h.ch) // fn's turn passes to the caller
			return
		}
		c.active--
		c.advanceLocked()
	}()
	<-h.ch
	return h.timedOut
}

// time returns the clock's time.
func (c *clock) time() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// group is a set of threads a thread starts and then waits for: the last one
// to finish hands its turn to the waiting thread, so that time cannot move
// between the two.
type group struct {
	c       *clock
	n       int
	waiting chan struct{}
}

func (c *clock) group() *group { return &group{c: c} }

// spawn runs fn in a new thread of the group.
func (g *group) spawn(fn func()) {
	g.c.mu.Lock()
	g.n++
	g.c.active++
	g.c.mu.Unlock()
	go func() {
		defer g.done()
		fn()
	}()
}

func (g *group) done() {
	c := g.c
	c.mu.Lock()
	defer c.mu.Unlock()
	g.n--
	if g.n == 0 && g.waiting != nil {
		close(g.waiting) // this thread's turn passes to the waiter
		return
	}
	c.active--
	c.advanceLocked()
}

// wait blocks the calling thread until every thread of the group has
// finished and returns the clock's time then.
func (g *group) wait() time.Time {
	c := g.c
	c.mu.Lock()
	if g.n == 0 {
		now := c.now
		c.mu.Unlock()
		return now
	}
	g.waiting = make(chan struct{})
	ch := g.waiting
	c.active--
	c.advanceLocked()
	c.mu.Unlock()
	<-ch
	return c.time()
}

// blockOn waits for ch outside the clock (another execution's end): the
// thread does not hold time back meanwhile.
func (c *clock) blockOn(ch <-chan struct{}) time.Time {
	c.mu.Lock()
	c.active--
	c.advanceLocked()
	c.mu.Unlock()
	<-ch
	c.mu.Lock()
	c.active++
	now := c.now
	c.mu.Unlock()
	return now
}

// sleep advances th's clock to t: the thread waits in simulated time. Past
// its execution's deadline (TimeoutSeconds, or Express's 5 minutes) the
// thread wakes at the deadline and the execution times out.
func (th *thread) sleep(t time.Time) *awserr.Error {
	x := th.x
	if !x.deadline.IsZero() && t.After(x.deadline) {
		th.now = x.ex.clock.sleepUntil(x.deadline)
		x.timedOut.Store(true)
		return newErr(ErrTimeout, "The execution timed out.")
	}
	th.now = x.ex.clock.sleepUntil(t)
	return nil
}

// slots is a semaphore in simulated time: a thread that finds no free slot
// waits without holding time back, and a released slot passes straight to
// the longest waiting thread.
type slots struct {
	c       *clock
	free    int
	waiters []chan struct{}
}

func (c *clock) slots(n int) *slots { return &slots{c: c, free: n} }

func (s *slots) acquire() {
	c := s.c
	c.mu.Lock()
	if s.free > 0 {
		s.free--
		c.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	s.waiters = append(s.waiters, ch)
	c.active--
	c.advanceLocked()
	c.mu.Unlock()
	<-ch
}

func (s *slots) release() {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(s.waiters) == 0 {
		s.free++
		return
	}
	ch := s.waiters[0]
	s.waiters = s.waiters[1:]
	c.active++
	close(ch)
}

// WithTimeQuantum rounds every simulated wake-up up to a multiple of q, so
// that threads whose waits end close together (jittered retries, requests
// of different sizes) wake together and their JSONata evaluations share
// round trips. Default 0: exact times.
func WithTimeQuantum(q time.Duration) Option {
	return func(c *config) { c.quantum = q }
}

// ExpressMaxDuration is how long an Express execution may run: "Express
// Workflows ... can run for up to five minutes" (Step Functions Developer
// Guide, "Choosing workflow type in Step Functions").
const ExpressMaxDuration = 5 * time.Minute

// Now returns the simulated time of the Executor's clock.
func (e *Executor) Now() time.Time { return e.clock.time() }

// jitterFraction is the fraction of a Retry interval a JitterStrategy FULL
// retry waits: "FULL ... randomizes the delay between 0 and the computed
// interval" (Step Functions Developer Guide, "Handling errors", Retrier
// fields). It is a hash of the execution, the state's path and the attempt,
// so that runs are reproducible while concurrent retries spread out.
func jitterFraction(execARN, path string, attempt int) float64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(execARN))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(path))
	_, _ = fmt.Fprintf(h, "\x00%d", attempt)
	x := h.Sum64() // splitmix64 finalizer: FNV's high bits barely move with the last bytes
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}
