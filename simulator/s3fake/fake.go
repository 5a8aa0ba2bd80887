package s3fake

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
)

// Size limits S3 enforces on the actions this fake implements.
const (
	// MaxCopySize is the largest object CopyObject (or an UploadPartCopy
	// without a range) accepts as its source: 5 GiB.
	MaxCopySize = 5 << 30
	// MinPartSize is the smallest size of every part but the last: 5 MiB.
	MinPartSize = 5 << 20
	// MaxPartSize is the largest size of one part: 5 GiB.
	MaxPartSize = 5 << 30
	// MaxParts is the largest number of parts in one multipart upload.
	MaxParts = 10000
	// MaxObjectSize is the largest object S3 stores: 5 TiB.
	MaxObjectSize = 5 << 40
	// MaxGetObjectBody is the largest body getObject returns from this fake.
	MaxGetObjectBody = 1 << 20
)

// Error names returned by the fake, as Step Functions' aws-sdk integration
// names them.
const (
	// ErrNoSuchKey reports a missing object (also a CopySource that decodes
	// to a missing key).
	ErrNoSuchKey = "S3.NoSuchKeyException"
	// ErrNoSuchBucket reports a bucket that was never created.
	ErrNoSuchBucket = "S3.NoSuchBucketException"
	// ErrNoSuchUpload reports an UploadId that is unknown, completed or aborted.
	ErrNoSuchUpload = "S3.NoSuchUploadException"
	// ErrS3 is the generic S3 exception; its cause starts with the S3 error
	// code (InvalidArgument, EntityTooSmall, InvalidPart, SlowDown...).
	ErrS3 = "S3.S3Exception"
	// ErrInvalidCall reports a call the SDK itself would refuse (unknown
	// action, missing or wrong-typed argument) or that this fake does not
	// model. Like every States.Runtime error it is meant to fail the
	// execution: no Retry or Catch should handle it.
	ErrInvalidCall = fakeapi.ErrInvalidCall
)

// BucketOptions are the optional settings of a bucket.
type BucketOptions struct {
	// Owner is the owning account id, recorded for information.
	Owner string
	// KMSKeyARN is the bucket's default SSE-KMS key. Default: SSE-S3 (AES256).
	KMSKeyARN string
	// BucketOwnerEnforced disables ACLs: a request with an ACL other than
	// bucket-owner-full-control fails with AccessControlListNotSupported.
	BucketOwnerEnforced bool
	// BucketKeyEnabled is the S3 Bucket Key setting of the bucket's default
	// encryption: with it, SSE-KMS requests do not call KMS one by one (see
	// SetTiming).
	BucketKeyEnabled bool
}

// Fault makes matching calls fail before they do anything: Action is the
// camelCase action, e.g. "copyObject"; Error the error name returned, e.g.
// "S3.S3Exception"; Cause the error cause, e.g. "SlowDown". Its KeyPattern
// is matched against the call's Key, CopySource and Prefix arguments.
type Fault = fakeapi.Fault

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string // quoted, as S3 returns it
	HasContent   bool   // real bytes, readable with Read
	LastModified time.Time
	StorageClass string
	// ServerSideEncryption is "AES256" or "aws:kms"; SSEKMSKeyID the key.
	ServerSideEncryption string
	SSEKMSKeyID          string
	// ACL is the canned ACL sent with the request that wrote the object.
	ACL string
}

// Fake is an in-memory S3. The zero value is not usable: call NewFake.
type Fake struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets map[string]*bucket
	uploads map[string]*upload
	seq     int
	api     *fakeapi.Service
	timing  *timer // nil: requests take no time and never throttle
	attrs   map[objectAttrs]*objectAttrs
	mem     arena
}

type bucket struct {
	name    string
	opts    BucketOptions
	objects map[string]*object
	sorted  []string // sorted keys, without those in pending
	pending []string // keys added since the last sort
	stale   bool     // a key was deleted: rebuild sorted
}

type object struct {
	key      string
	size     int64
	etag     etag
	content  []extent
	modified int64 // LastModified in Unix nanoseconds: no time.Location pointer per object
	*objectAttrs
}

// objectAttrs are the attributes most objects share, held once per distinct
// set: a million-object run stores two million objects.
type objectAttrs struct {
	storageClass string
	sse, kmsKey  string
	acl          string
}

// NewFake returns an empty S3 without buckets.
func NewFake() *Fake {
	f := &Fake{
		now:     func() time.Time { return time.Now().UTC() },
		buckets: map[string]*bucket{},
		uploads: map[string]*upload{},
	}
	f.api = fakeapi.NewService("s3", &f.mu, map[string]fakeapi.Handler{
		"listObjectsV2":           f.listObjectsV2,
		"headObject":              f.headObject,
		"getObject":               f.getObject,
		"putObject":               f.putObject,
		"copyObject":              f.copyObject,
		"deleteObject":            f.deleteObject,
		"createMultipartUpload":   f.createMultipartUpload,
		"uploadPartCopy":          f.uploadPartCopy,
		"completeMultipartUpload": f.completeMultipartUpload,
		"abortMultipartUpload":    f.abortMultipartUpload,
		"listMultipartUploads":    f.listMultipartUploads,
	}, "Key", "CopySource", "Prefix")
	return f
}

// SetClock replaces the clock used for LastModified and Initiated times.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// CreateBucket creates a bucket, or replaces the options of an existing one.
// At most one BucketOptions is used.
func (f *Fake) CreateBucket(name string, opts ...BucketOptions) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.buckets[name]
	if b == nil {
		b = &bucket{name: name, objects: map[string]*object{}}
		f.buckets[name] = b
	}
	if len(opts) > 0 {
		b.opts = opts[0]
	}
}

// BucketExists reports whether a bucket was created.
func (f *Fake) BucketExists(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.buckets[name] != nil
}

// PutObject stores an object with real bytes, encrypted by the bucket default.
func (f *Fake) PutObject(bucketName, key string, data []byte) error {
	return f.putWithDefaults(bucketName, key, func(string) []extent { return realContent(data) })
}

// putWithDefaults stores the content made for the bucket's own copy of key
// (ownKey), encrypted by the bucket default.
func (f *Fake) putWithDefaults(bucketName, key string, content func(ownKey string) []extent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(bucketName)
	if err != nil {
		return err
	}
	key = f.ownKey(b, key)
	c := content(key)
	sse, kms := b.encryption("", "")
	f.store(b, key, c, etagOf(c), sse, kms, "", "")
	return nil
}

// PutDeclared stores an object of the given size whose bytes are generated
// on demand from (bucket, key, offset).
func (f *Fake) PutDeclared(bucketName, key string, size int64) error {
	if size < 0 || size > MaxObjectSize {
		return awserr.New(ErrInvalidCall, "s3fake: declared size %d out of range", size)
	}
	// The object's own key and its content's origin share one copy.
	return f.putWithDefaults(bucketName, key, func(k string) []extent { return f.mem.declared(bucketName, k, size) })
}

// AddFault registers a fault. It panics if KeyPattern is not a valid
// regular expression.
func (f *Fake) AddFault(ft Fault) { f.api.AddFault(ft) }

// Calls returns the number of Call invocations per action, keyed like
// "s3:copyObject", counting failed ones.
func (f *Fake) Calls() map[string]int { return f.api.Calls() }

// Objects lists the objects of a bucket whose keys start with prefix, in key
// order. An unknown bucket has no objects.
func (f *Fake) Objects(bucketName, prefix string) []ObjectInfo {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.buckets[bucketName]
	if b == nil {
		return nil
	}
	var out []ObjectInfo
	keys := b.keys()
	for i := sort.SearchStrings(keys, prefix); i < len(keys) && hasPrefix(keys[i], prefix); i++ {
		out = append(out, b.objects[keys[i]].info())
	}
	return out
}

// Sizes returns the keys and sizes of the objects under prefix, in key
// order: Objects without the rest, for a million-object bucket (each
// ObjectInfo holds a quoted ETag of its own).
func (f *Fake) Sizes(bucketName, prefix string) (keys []string, sizes []int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.buckets[bucketName]
	if b == nil {
		return nil, nil
	}
	all := b.keys()
	lo := sort.SearchStrings(all, prefix)
	hi := lo
	for hi < len(all) && hasPrefix(all[hi], prefix) {
		hi++
	}
	keys = append([]string(nil), all[lo:hi]...)
	sizes = make([]int64, len(keys))
	for i, k := range keys {
		sizes[i] = b.objects[k].size
	}
	return keys, sizes
}

// Object returns the description of one object.
func (f *Fake) Object(bucketName, key string) (ObjectInfo, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b := f.buckets[bucketName]; b != nil {
		if o := b.objects[key]; o != nil {
			return o.info(), true
		}
	}
	return ObjectInfo{}, false
}

// Read returns the bytes of an object with real content (HasContent).
func (f *Fake) Read(bucketName, key string) ([]byte, error) {
	o, err := f.lookup(bucketName, key)
	if err != nil {
		return nil, err
	}
	if !hasContent(o.content) {
		return nil, awserr.New(ErrInvalidCall, "s3fake: %s/%s has declared content: use ReadRange", bucketName, key)
	}
	return readRange(o.content, 0, o.size), nil
}

// ReadRange returns n bytes from offset off of any object, generating the
// bytes of declared content.
func (f *Fake) ReadRange(bucketName, key string, off, n int64) ([]byte, error) {
	o, err := f.lookup(bucketName, key)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 || off+n > o.size {
		return nil, awserr.New(ErrInvalidCall, "s3fake: range %d+%d outside %s/%s of size %d", off, n, bucketName, key, o.size)
	}
	return readRange(o.content, off, n), nil
}

// OpenUploads returns the number of multipart uploads neither completed nor
// aborted, in every bucket.
func (f *Fake) OpenUploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

// Call answers an aws-sdk:s3 task. action is the camelCase action name and
// args the task's resolved Arguments with PascalCase member names; the
// result is the JSON-compatible response. Errors are *awserr.Error.
func (f *Fake) Call(ctx context.Context, action string, args map[string]any) (any, error) {
	if err := f.checkExpectedOwners(args); err != nil {
		return nil, err
	}
	return f.api.Call(ctx, action, args)
}

// checkExpectedOwners refuses a request whose ExpectedBucketOwner (or, for
// the copy source, ExpectedSourceBucketOwner) is not the bucket's owner, as
// S3 does with 403 AccessDenied.
func (f *Fake) checkExpectedOwners(args map[string]any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	check := func(bucketName string, expected any) error {
		want, _ := expected.(string)
		b := f.buckets[bucketName]
		if want == "" || b == nil || b.opts.Owner == "" || b.opts.Owner == want {
			return nil
		}
		return s3Error(403, "AccessDenied", "bucket "+bucketName+" is not owned by the expected account "+want)
	}
	name, _ := args["Bucket"].(string)
	if err := check(name, args["ExpectedBucketOwner"]); err != nil {
		return err
	}
	if src, ok := args["CopySource"].(string); ok {
		if srcBucket, _, err := parseCopySource(src); err == nil {
			return check(srcBucket, args["ExpectedSourceBucketOwner"])
		}
	}
	return nil
}

func (f *Fake) lookup(bucketName, key string) (*object, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.bucket(bucketName)
	if err != nil {
		return nil, err
	}
	return b.object(key)
}

// bucket returns a bucket or NoSuchBucket. Called with f.mu held.
func (f *Fake) bucket(name string) (*bucket, error) {
	b := f.buckets[name]
	if b == nil {
		return nil, awserr.New(ErrNoSuchBucket, "The specified bucket does not exist: %s (Service: S3, Status Code: 404)", name)
	}
	return b, nil
}

func (b *bucket) object(key string) (*object, error) {
	o := b.objects[key]
	if o == nil {
		return nil, awserr.New(ErrNoSuchKey, "The specified key does not exist: %s (Service: S3, Status Code: 404)", key)
	}
	return o, nil
}

// ownKey returns the bucket's own copy of key: the stored key when there
// is one, else a copy in the fake's arena. A key that arrived in a request
// may share memory with a larger string or buffer, which the fake would
// otherwise keep alive with every object it stores (measured with go tool
// pprof when the bridge's decoder returned strings in place: 290 MB of
// JSONata responses at 1,000,000 copies). Called with f.mu held.
func (f *Fake) ownKey(b *bucket, key string) string {
	if prev := b.objects[key]; prev != nil {
		return prev.key
	}
	return f.mem.str(key)
}

// store writes an object under key, which must be the bucket's own copy
// (ownKey). Called with f.mu held.
func (f *Fake) store(b *bucket, key string, content []extent, tag etag, sse, kms, acl, storageClass string) *object {
	if storageClass == "" {
		storageClass = "STANDARD"
	}
	if prev := b.objects[key]; prev != nil {
		key = prev.key
	} else {
		b.pending = append(b.pending, key)
	}
	at := objectAttrs{storageClass: storageClass, sse: sse, kmsKey: kms, acl: acl}
	shared := f.attrs[at]
	if shared == nil {
		if f.attrs == nil {
			f.attrs = map[objectAttrs]*objectAttrs{}
		}
		shared = &at
		f.attrs[at] = shared
	}
	o := f.mem.object(object{
		key: key, size: sizeOf(content), etag: tag, content: content,
		modified: f.now().UnixNano(), objectAttrs: shared,
	})
	b.objects[key] = o
	return o
}

func (b *bucket) delete(key string) {
	if b.objects[key] != nil {
		delete(b.objects, key)
		b.stale = true
	}
}

// keys returns the bucket's keys in UTF-8 binary order (Go string order).
func (b *bucket) keys() []string {
	switch {
	case b.stale:
		b.sorted = b.sorted[:0]
		for k := range b.objects {
			b.sorted = append(b.sorted, k)
		}
		sort.Strings(b.sorted)
		b.pending, b.stale = nil, false
	case len(b.pending) > 0:
		sort.Strings(b.pending)
		merged := make([]string, 0, len(b.sorted)+len(b.pending))
		i, j := 0, 0
		for i < len(b.sorted) || j < len(b.pending) {
			if j == len(b.pending) || (i < len(b.sorted) && b.sorted[i] < b.pending[j]) {
				merged = append(merged, b.sorted[i])
				i++
			} else {
				merged = append(merged, b.pending[j])
				j++
			}
		}
		b.sorted, b.pending = merged, nil
	}
	return b.sorted
}

// encryption resolves the SSE settings of a write against the bucket default.
func (b *bucket) encryption(sse, kms string) (string, string) {
	switch {
	case sse == "" && b.opts.KMSKeyARN != "":
		return "aws:kms", b.opts.KMSKeyARN
	case sse == "":
		return "AES256", ""
	case sse == "aws:kms" && kms == "" && b.opts.KMSKeyARN != "":
		return sse, b.opts.KMSKeyARN
	case sse == "aws:kms" && kms == "":
		return sse, "aws/s3"
	}
	return sse, kms
}

// checkACL enforces BucketOwnerEnforced.
func (b *bucket) checkACL(acl string) error {
	if b.opts.BucketOwnerEnforced && acl != "" && acl != "bucket-owner-full-control" {
		return s3Error(400, "AccessControlListNotSupported", "The bucket does not allow ACLs")
	}
	return nil
}

func (o *object) info() ObjectInfo {
	return ObjectInfo{
		Key: o.key, Size: o.size, ETag: o.etag.quoted(), HasContent: hasContent(o.content),
		LastModified: o.lastModified(), StorageClass: o.storageClass,
		ServerSideEncryption: o.sse, SSEKMSKeyID: o.kmsKey, ACL: o.acl,
	}
}

func s3Error(status int, code, msg string) error {
	return awserr.New(ErrS3, "%s: %s (Service: S3, Status Code: %d)", code, msg, status)
}

func quote(etag string) string { return `"` + etag + `"` }

func (o *object) lastModified() time.Time { return time.Unix(0, o.modified).UTC() }

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

const timeLayout = "2006-01-02T15:04:05.000Z"

func isoTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func (f *Fake) nextID(parts ...string) string {
	f.seq++
	return fmt.Sprintf("%x", md5sum(fmt.Sprint(f.seq, parts)))
}

func awsNoSuchUpload(id string) error {
	return awserr.New(ErrNoSuchUpload, "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed: %s (Service: S3, Status Code: 404)", id)
}

// Count returns the number of objects in a bucket.
func (f *Fake) Count(bucketName string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b := f.buckets[bucketName]; b != nil {
		return len(b.objects)
	}
	return 0
}
