package s3fake

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/timing"
)

// Request classes of S3's per-prefix rates ("3,500 PUT/COPY/POST/DELETE or
// 5,500 GET/HEAD requests per second per partitioned prefix"). LIST is
// counted as a read (see package timing).
var writeActions = map[string]bool{
	"putObject": true, "copyObject": true, "deleteObject": true,
	"createMultipartUpload": true, "uploadPartCopy": true,
	"completeMultipartUpload": true, "abortMultipartUpload": true,
}

// TimingStats are what the timing model counted.
type TimingStats struct {
	// Throttled is the number of requests answered 503 SlowDown, by action.
	Throttled map[string]int
	// KMSRequests is the number of KMS requests S3 made for SSE-KMS;
	// KMSThrottled how many of them KMS refused.
	KMSRequests, KMSThrottled int
	// Writes counts the accepted write requests per destination prefix
	// ("bucket/prefix"), the basis of the bound of a copy.
	Writes map[string]int
	// LargestWrite is the largest byte count one accepted request copied.
	LargestWrite int64
}

type timer struct {
	m       timing.Model
	mu      sync.Mutex
	buckets map[string]*timing.Bucket // "w|bucket/prefix", "r|bucket/prefix"
	kms     *timing.Bucket
	keyed   map[string]time.Time // bucket-level key "bucket|kmsKey" → when it was fetched
	stats   TimingStats
}

// SetTiming turns on the timing model: every CallAt takes simulated time and
// may be throttled; see package timing for each rule and its source.
func (f *Fake) SetTiming(m timing.Model) {
	m = m.WithDefaults()
	t := &timer{
		m: m, buckets: map[string]*timing.Bucket{}, keyed: map[string]time.Time{},
		kms:   timing.NewBucket(m.KMSRequestsPerSecond, m.BurstSeconds),
		stats: TimingStats{Throttled: map[string]int{}, Writes: map[string]int{}},
	}
	f.mu.Lock()
	f.timing = t
	f.mu.Unlock()
}

// TimingStats returns what the timing model counted so far.
func (f *Fake) TimingStats() TimingStats {
	f.mu.Lock()
	t := f.timing
	f.mu.Unlock()
	if t == nil {
		return TimingStats{}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Throttled, s.Writes = map[string]int{}, map[string]int{}
	for k, v := range t.stats.Throttled {
		s.Throttled[k] = v
	}
	for k, v := range t.stats.Writes {
		s.Writes[k] = v
	}
	return s
}

// CallAt is Call at simulated time now: it returns how long the request
// took. Without SetTiming it is Call and takes no time. A request over its
// prefix's rate fails, after the request latency, with S3.S3Exception and
// S3's SlowDown message in the SDK v2 shape; so does one whose SSE-KMS call
// KMS throttles.
func (f *Fake) CallAt(ctx context.Context, now time.Time, action string, args map[string]any) (any, time.Duration, error) {
	f.mu.Lock()
	t := f.timing
	f.mu.Unlock()
	if t == nil {
		res, err := f.Call(ctx, action, args)
		return res, 0, err
	}
	lat := t.m.Latency()
	bucketName, _ := args["Bucket"].(string)
	key, _ := args["Key"].(string)
	if action == "listObjectsV2" {
		key, _ = args["Prefix"].(string)
	}
	write := writeActions[action]
	prefix := bucketName + "/" + partitionedPrefix(key, t.m.PrefixDepth)
	class, rate := "r|", t.m.S3ReadsPerSecond
	if write {
		class, rate = "w|", t.m.S3WritesPerSecond
	}
	t.mu.Lock()
	b := t.buckets[class+prefix]
	if b == nil {
		b = timing.NewBucket(rate, t.m.BurstSeconds)
		t.buckets[class+prefix] = b
	}
	ok := b.Take(now)
	if !ok {
		t.stats.Throttled[action]++
	}
	t.mu.Unlock()
	if !ok {
		return nil, lat, slowDown(now)
	}
	if err := f.kmsFor(t, now, action, bucketName, args); err != nil {
		return nil, lat, err
	}
	res, err := f.Call(ctx, action, args)
	if err != nil {
		return nil, lat, err
	}
	n := f.copiedBytes(action, args)
	took := lat + t.m.Transfer(n)
	if write {
		t.mu.Lock()
		t.stats.Writes[prefix]++
		t.stats.LargestWrite = max(t.stats.LargestWrite, n)
		t.mu.Unlock()
		f.touch(bucketName, key, action, now.Add(took))
	}
	return res, took, nil
}

// partitionedPrefix is key up to and including its depth-th "/" (the whole
// key's folder when it has fewer).
func partitionedPrefix(key string, depth int) string {
	end := 0
	for i := 0; i < depth; i++ {
		j := strings.IndexByte(key[end:], '/')
		if j < 0 {
			break
		}
		end += j + 1
	}
	return key[:end]
}

// kmsFor takes the KMS requests an SSE-KMS request makes: GenerateDataKey
// for a write encrypted under a KMS key, Decrypt for reading an SSE-KMS copy
// source; none while a bucket-level key of the bucket (S3 Bucket Key) is
// fresh.
func (f *Fake) kmsFor(t *timer, now time.Time, action, bucketName string, args map[string]any) error {
	var needs []string // "bucket|key" per KMS request
	f.mu.Lock()
	if b := f.buckets[bucketName]; b != nil && (action == "copyObject" || action == "putObject" || action == "createMultipartUpload") {
		sse, kms := b.encryption(str(args["ServerSideEncryption"]), str(args["SsekmsKeyId"]))
		if strings.HasPrefix(sse, "aws:kms") {
			needs = append(needs, bucketKeyID(b, kms, t.m))
		}
	}
	if src, ok := args["CopySource"].(string); ok {
		if sb, sk, err := parseCopySource(src); err == nil {
			if b := f.buckets[sb]; b != nil {
				if o := b.objects[sk]; o != nil && strings.HasPrefix(o.sse, "aws:kms") {
					needs = append(needs, bucketKeyID(b, o.kmsKey, t.m))
				}
			}
		}
	}
	f.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	life := time.Duration(t.m.BucketKeyLifetimeSeconds * float64(time.Second))
	for _, id := range needs {
		if id != "" {
			if at, ok := t.keyed[id]; ok && now.Sub(at) < life {
				continue
			}
		}
		t.stats.KMSRequests++
		if !t.kms.Take(now) {
			t.stats.KMSThrottled++
			return kmsThrottled(now)
		}
		if id != "" {
			t.keyed[id] = now
		}
	}
	return nil
}

// bucketKeyID names the bucket-level key a request uses, or "" when the
// bucket has no S3 Bucket Key (every request calls KMS).
func bucketKeyID(b *bucket, kmsKey string, m timing.Model) string {
	if !b.opts.BucketKeyEnabled || m.NoBucketKeys {
		return ""
	}
	return b.name + "|" + kmsKey
}

// copiedBytes is what a request moves server-side: the source of a
// CopyObject, the range of an UploadPartCopy.
func (f *Fake) copiedBytes(action string, args map[string]any) int64 {
	switch action {
	case "copyObject":
		if o, ok := f.sourceInfo(str(args["CopySource"])); ok {
			return o.Size
		}
	case "uploadPartCopy":
		if m := rangeRE.FindStringSubmatch(str(args["CopySourceRange"])); m != nil {
			first, _ := strconv.ParseInt(m[1], 10, 64)
			last, _ := strconv.ParseInt(m[2], 10, 64)
			return last - first + 1
		}
		if o, ok := f.sourceInfo(str(args["CopySource"])); ok {
			return o.Size
		}
	}
	return 0
}

func (f *Fake) sourceInfo(copySource string) (ObjectInfo, bool) {
	b, k, err := parseCopySource(copySource)
	if err != nil {
		return ObjectInfo{}, false
	}
	return f.Object(b, k)
}

// touch sets the LastModified of the object a write made to when the
// request ended in simulated time.
func (f *Fake) touch(bucketName, key, action string, at time.Time) {
	if action != "putObject" && action != "copyObject" && action != "completeMultipartUpload" {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if b := f.buckets[bucketName]; b != nil {
		if o := b.objects[key]; o != nil {
			o.modified = at.UnixNano()
		}
	}
}

// slowDown is S3's 503 SlowDown ("Please reduce your request rate.", Amazon
// S3 API Reference, "Error responses") as Step Functions' SDK v2 integration
// reports it: "<message> (Service: S3, Status Code: 503, Request ID: …,
// Extended Request ID: …)".
func slowDown(now time.Time) error {
	return awserr.New(ErrS3, "Please reduce your request rate. (Service: S3, Status Code: 503, Request ID: %s, Extended Request ID: %s)", requestID(now), extendedID(now))
}

// kmsThrottled is S3's answer when KMS throttles the SSE-KMS call behind a
// request. Unverified: S3 documents no specific error for it; this reports
// KMS's ThrottlingException message as a 503 (retried like SlowDown).
func kmsThrottled(now time.Time) error {
	return awserr.New(ErrS3, "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls. (Service: S3, Status Code: 503, Request ID: %s, Extended Request ID: %s)", requestID(now), extendedID(now))
}

func requestID(now time.Time) string {
	return strings.ToUpper(fmt.Sprintf("%016x", now.UnixNano()))[:16]
}

func extendedID(now time.Time) string {
	return fmt.Sprintf("%x", md5sum(now.String()))
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
