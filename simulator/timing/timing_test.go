package timing

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

// A bucket of 3,500/s holding one second: 3,500 requests at one instant
// pass, the 3,501st is refused; 1 ms later 3.5 tokens have come back, so 3
// more pass and the 4th is refused.
func TestBucketHandComputed(t *testing.T) {
	b := NewBucket(3500, 1)
	for i := 0; i < 3500; i++ {
		if !b.Take(t0) {
			t.Fatalf("request %d refused", i+1)
		}
	}
	if b.Take(t0) {
		t.Fatal("request 3501 accepted")
	}
	later := t0.Add(time.Millisecond)
	for i := 0; i < 3; i++ {
		if !b.Take(later) {
			t.Fatalf("request %d after 1 ms refused", i+1)
		}
	}
	if b.Take(later) {
		t.Fatal("4th request after 1 ms accepted (only 3.5 tokens came back)")
	}
}

// The defaults, and what they give for a 4 MiB CopyObject: 100 ms + 4 MiB at
// 100 MiB/s = 140 ms; the bound of 1,000,000 copies into one prefix is
// 1,000,000 / 3,500 = 285.714… s plus one 4 MiB request.
func TestDefaultsHandComputed(t *testing.T) {
	m := Default()
	if m.S3WritesPerSecond != 3500 || m.S3ReadsPerSecond != 5500 || m.KMSRequestsPerSecond != 20000 || m.ExpressMaxDuration() != 5*time.Minute {
		t.Fatalf("defaults changed: %+v", m)
	}
	if d := m.Latency() + m.Transfer(4<<20); d != 140*time.Millisecond {
		t.Errorf("4 MiB copy takes %v, want 140ms", d)
	}
	writes := 1_000_000.0
	want := time.Duration(writes/3500*float64(time.Second)) + 140*time.Millisecond
	if got := m.Bound(1_000_000, 4<<20); got != want {
		t.Errorf("bound %v, want %v", got, want)
	}
}

func TestOverridesKeepOtherDefaults(t *testing.T) {
	m := Model{S3WritesPerSecond: 50}.WithDefaults()
	if m.S3WritesPerSecond != 50 || m.S3ReadsPerSecond != 5500 || m.PrefixDepth != 2 {
		t.Errorf("override gave %+v", m)
	}
	if err := (Model{CopyThroughputMiBps: -1}).Validate(); err == nil || err.Error() != "timing.copyThroughputMiBps must not be negative, got -1" {
		t.Errorf("Validate: %v", err)
	}
}
