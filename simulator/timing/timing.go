// Package timing is the local run's model of time and request rates: how
// long each S3 request takes, how many requests per second S3 and KMS accept
// before they throttle, and how long an Express execution may run. Every
// parameter is here, with its source; a scenario overrides any of them
// ("timing" in a scenario file).
//
// Sources (AWS documentation unless marked as an assumption):
//
//   - S3WritesPerSecond 3,500 and S3ReadsPerSecond 5,500: "your application
//     can achieve at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD
//     requests per second per partitioned Amazon S3 prefix" (Amazon S3 User
//     Guide, "Best practices design patterns: optimizing Amazon S3
//     performance"); requests beyond it get "503 Slow Down" (AWS Knowledge
//     Center, "http-5xx-errors-s3").
//   - PrefixDepth 2 (assumption): S3 partitions prefixes by load and does
//     not document where; each table folder of the destination
//     ("<database>/<schema.table>/") is taken as one fully scaled
//     partitioned prefix. S3 takes "30 to 60 minutes" to partition a new hot
//     prefix (AWS re:Post, s3-object-key-naming-pattern): that warm-up is not
//     modelled, so the figures are for prefixes already partitioned.
//   - BurstSeconds 1 (assumption): S3 documents rates, not a burst; each
//     prefix's token bucket holds one second of requests.
//   - LIST counts as a read (assumption: the S3 guide names only GET/HEAD);
//     multipart CreateMultipartUpload/UploadPartCopy/Complete count as
//     writes (POST/PUT), CopyObject as COPY on the destination prefix. The
//     source side of a copy is not counted (undocumented).
//   - KMSRequestsPerSecond 20,000: "Cryptographic operations (symmetric)
//     request rate", shared per account and Region: 10,000, or 20,000 in
//     us-east-2, ap-southeast-1, ap-southeast-2, ap-northeast-1 (the local
//     run's Region), eu-central-1, eu-west-2 (AWS KMS Developer Guide,
//     "Request quotas").
//   - Bucket keys: with an S3 Bucket Key, "PUT or COPY requests for
//     KMS-encrypted objects ... use the S3 Bucket Key" and S3 reuses a
//     bucket-level key instead of calling KMS per object (Amazon S3 User
//     Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys",
//     "Configuring an S3 Bucket Key at the object level"). How long S3 keeps
//     a bucket-level key is not documented: BucketKeyLifetimeSeconds 300 is
//     an assumption. Without a bucket key every SSE-KMS write costs one
//     GenerateDataKey and every read of an SSE-KMS source one Decrypt.
//   - S3RequestLatencyMs 100 (assumption, from the guide's "first-byte
//     latency ... 100–200 milliseconds" for small objects) and
//     CopyThroughputMiBps 100 (assumption: server-side copy speed of one
//     CopyObject or UploadPartCopy; AWS publishes none).
//   - ExpressMaxDurationSeconds 300: "Express Workflows: up to five minutes"
//     (Step Functions Developer Guide, "Choosing workflow type").
package timing

import (
	"fmt"
	"time"
)

// Model holds every rate and duration of the local run. A zero field takes
// the default (Default).
type Model struct {
	S3WritesPerSecond         float64 `json:"s3WritesPerSecond,omitempty"`
	S3ReadsPerSecond          float64 `json:"s3ReadsPerSecond,omitempty"`
	PrefixDepth               int     `json:"prefixDepth,omitempty"`
	BurstSeconds              float64 `json:"burstSeconds,omitempty"`
	KMSRequestsPerSecond      float64 `json:"kmsRequestsPerSecond,omitempty"`
	BucketKeyLifetimeSeconds  float64 `json:"bucketKeyLifetimeSeconds,omitempty"`
	S3RequestLatencyMs        float64 `json:"s3RequestLatencyMs,omitempty"`
	CopyThroughputMiBps       float64 `json:"copyThroughputMiBps,omitempty"`
	ExpressMaxDurationSeconds float64 `json:"expressMaxDurationSeconds,omitempty"`
	// QuantumMs is the local run's time resolution (not an AWS figure):
	// wake-ups round up to it so that near-simultaneous ones share JSONata
	// round trips. Default 10 ms.
	QuantumMs float64 `json:"quantumMs,omitempty"`
	// NoBucketKeys ignores the buckets' S3 Bucket Key setting (every SSE-KMS
	// request calls KMS), to show what bucket keys save.
	NoBucketKeys bool `json:"noBucketKeys,omitempty"`
}

// Default returns the model with the values documented in the package
// comment.
func Default() Model {
	return Model{
		S3WritesPerSecond:         3500,
		S3ReadsPerSecond:          5500,
		PrefixDepth:               2,
		BurstSeconds:              1,
		KMSRequestsPerSecond:      20000,
		BucketKeyLifetimeSeconds:  300,
		S3RequestLatencyMs:        100,
		CopyThroughputMiBps:       100,
		ExpressMaxDurationSeconds: 300,
		QuantumMs:                 10,
	}
}

// WithDefaults fills m's zero fields from Default.
func (m Model) WithDefaults() Model {
	d := Default()
	pick := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	pick(&m.S3WritesPerSecond, d.S3WritesPerSecond)
	pick(&m.S3ReadsPerSecond, d.S3ReadsPerSecond)
	pick(&m.BurstSeconds, d.BurstSeconds)
	pick(&m.KMSRequestsPerSecond, d.KMSRequestsPerSecond)
	pick(&m.BucketKeyLifetimeSeconds, d.BucketKeyLifetimeSeconds)
	pick(&m.S3RequestLatencyMs, d.S3RequestLatencyMs)
	pick(&m.CopyThroughputMiBps, d.CopyThroughputMiBps)
	pick(&m.ExpressMaxDurationSeconds, d.ExpressMaxDurationSeconds)
	pick(&m.QuantumMs, d.QuantumMs)
	if m.PrefixDepth == 0 {
		m.PrefixDepth = d.PrefixDepth
	}
	return m
}

// Validate refuses negative values, naming the field.
func (m Model) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"s3WritesPerSecond", m.S3WritesPerSecond}, {"s3ReadsPerSecond", m.S3ReadsPerSecond},
		{"burstSeconds", m.BurstSeconds}, {"kmsRequestsPerSecond", m.KMSRequestsPerSecond},
		{"bucketKeyLifetimeSeconds", m.BucketKeyLifetimeSeconds}, {"s3RequestLatencyMs", m.S3RequestLatencyMs},
		{"copyThroughputMiBps", m.CopyThroughputMiBps}, {"expressMaxDurationSeconds", m.ExpressMaxDurationSeconds},
		{"prefixDepth", float64(m.PrefixDepth)}, {"quantumMs", m.QuantumMs},
	} {
		if f.v < 0 {
			return fmt.Errorf("timing.%s must not be negative, got %v", f.name, f.v)
		}
	}
	return nil
}

// Latency is the fixed part of every S3 request.
func (m Model) Latency() time.Duration {
	return time.Duration(m.S3RequestLatencyMs * float64(time.Millisecond))
}

// Transfer is how long a server-side copy of n bytes takes in one request.
func (m Model) Transfer(n int64) time.Duration {
	if n <= 0 || m.CopyThroughputMiBps <= 0 {
		return 0
	}
	return time.Duration(float64(n) / (m.CopyThroughputMiBps * (1 << 20)) * float64(time.Second))
}

// Quantum is the local run's time resolution.
func (m Model) Quantum() time.Duration {
	return time.Duration(m.QuantumMs * float64(time.Millisecond))
}

// ExpressMaxDuration is how long an Express execution may run.
func (m Model) ExpressMaxDuration() time.Duration {
	return time.Duration(m.ExpressMaxDurationSeconds * float64(time.Second))
}

// Bound is the shortest time S3's per-prefix rates allow for a copy: the
// requests into the busiest prefix at its write rate, plus the transfer of
// the largest single request (no copy ends before its own bytes are moved).
func (m Model) Bound(requestsInBusiestPrefix int, largestRequestBytes int64) time.Duration {
	d := time.Duration(float64(requestsInBusiestPrefix) / m.S3WritesPerSecond * float64(time.Second))
	return d + m.Latency() + m.Transfer(largestRequestBytes)
}

// Bucket is a token bucket: Rate tokens per second, up to Capacity. The
// zero time of Last means full.
type Bucket struct {
	Rate, Capacity, tokens float64
	last                   time.Time
	started                bool
}

// NewBucket returns a full bucket of rate per second holding burst seconds.
func NewBucket(rate, burstSeconds float64) *Bucket {
	c := rate * burstSeconds
	if c < 1 {
		c = 1
	}
	return &Bucket{Rate: rate, Capacity: c, tokens: c}
}

// Take takes one token at time now and reports whether there was one.
// Calls must come in non-decreasing now (the executor's clock only moves
// forward); an earlier now is treated as the latest seen.
func (b *Bucket) Take(now time.Time) bool {
	if !b.started {
		b.started, b.last = true, now
	}
	if now.After(b.last) {
		b.tokens += now.Sub(b.last).Seconds() * b.Rate
		if b.tokens > b.Capacity {
			b.tokens = b.Capacity
		}
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}
