package s3fake

import (
	"encoding/base64"
	"sort"
	"strings"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
)

// listObjectsV2: Bucket, Prefix, Delimiter, ContinuationToken, StartAfter,
// MaxKeys. An empty page has no Contents member, as S3 sends no Contents
// element. With a Delimiter, keys that hold it after the prefix are rolled
// up into CommonPrefixes ("<prefix><up to and including the delimiter>"),
// each counted once against MaxKeys, as the ListObjectsV2 API reference
// describes.
func (f *Fake) listObjectsV2(a *fakeapi.Args) (map[string]any, error) {
	name, prefix := a.Str("Bucket"), a.OptStr("Prefix")
	token, startAfter := a.OptStr("ContinuationToken"), a.OptStr("StartAfter")
	delimiter := a.OptStr("Delimiter")
	maxKeys := a.OptInt("MaxKeys", 1000)
	a.Absent("EncodingType")
	if a.Err() != nil {
		return nil, a.Err()
	}
	if maxKeys < 0 {
		return nil, s3Error(400, "InvalidArgument", "maxKeys should be non-negative")
	}
	maxKeys = min(maxKeys, 1000)
	b, err := f.bucket(name)
	if err != nil {
		return nil, err
	}
	after := startAfter
	if token != "" {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || !strings.HasPrefix(string(raw), "s3fake:") {
			return nil, s3Error(400, "InvalidArgument", "The continuation token provided is incorrect")
		}
		after = strings.TrimPrefix(string(raw), "s3fake:")
	}
	keys := b.keys()
	i := sort.SearchStrings(keys, prefix)
	if j := sort.Search(len(keys), func(k int) bool { return keys[k] > after }); after != "" && j > i {
		i = j
	}
	contents, common := []any{}, []any{}
	last := ""
	for ; i < len(keys) && hasPrefix(keys[i], prefix) && int64(len(contents)+len(common)) < maxKeys; i++ {
		if delimiter != "" {
			if j := strings.Index(keys[i][len(prefix):], delimiter); j >= 0 {
				cp := keys[i][:len(prefix)+j+len(delimiter)]
				common = append(common, map[string]any{"Prefix": cp})
				// skip every other key under this common prefix
				last = cp + "\U0010FFFF"
				for i+1 < len(keys) && strings.HasPrefix(keys[i+1], cp) {
					i++
				}
				continue
			}
		}
		o := b.objects[keys[i]]
		last = o.key
		contents = append(contents, map[string]any{
			"Key": o.key, "Size": float64(o.size), "ETag": o.etag.quoted(),
			"LastModified": isoTime(o.lastModified()), "StorageClass": o.storageClass,
		})
	}
	truncated := maxKeys > 0 && i < len(keys) && hasPrefix(keys[i], prefix)
	res := map[string]any{
		"Name": name, "Prefix": prefix, "MaxKeys": float64(maxKeys),
		"KeyCount": float64(len(contents) + len(common)), "IsTruncated": truncated,
	}
	if len(contents) > 0 {
		res["Contents"] = contents
	}
	if len(common) > 0 {
		res["CommonPrefixes"] = common
	}
	if delimiter != "" {
		res["Delimiter"] = delimiter
	}
	if truncated {
		res["NextContinuationToken"] = base64.RawURLEncoding.EncodeToString([]byte("s3fake:" + last))
	}
	if token != "" {
		res["ContinuationToken"] = token
	}
	if startAfter != "" {
		res["StartAfter"] = startAfter
	}
	return res, nil
}

// headObject: Bucket, Key.
func (f *Fake) headObject(a *fakeapi.Args) (map[string]any, error) {
	o, err := f.argObject(a)
	if err != nil {
		return nil, err
	}
	res := map[string]any{
		"ContentLength": float64(o.size), "ETag": o.etag.quoted(), "LastModified": isoTime(o.lastModified()),
	}
	addSSE(res, o.sse, o.kmsKey)
	if o.storageClass != "STANDARD" {
		res["StorageClass"] = o.storageClass
	}
	return res, nil
}

// getObject: Bucket, Key. Returns Body as a string, for real content up to
// MaxGetObjectBody bytes only.
func (f *Fake) getObject(a *fakeapi.Args) (map[string]any, error) {
	o, err := f.argObject(a)
	if err != nil {
		return nil, err
	}
	if !hasContent(o.content) || o.size > MaxGetObjectBody {
		return nil, awserr.New(ErrInvalidCall, "s3:getObject: the fake returns bodies of real-content objects up to %d bytes only", MaxGetObjectBody)
	}
	res, _ := f.headObject(a)
	res["Body"] = string(readRange(o.content, 0, o.size))
	return res, nil
}

func (f *Fake) argObject(a *fakeapi.Args) (*object, error) {
	b, key, err := f.argBucketKey(a)
	if err != nil {
		return nil, err
	}
	return b.object(key)
}

// argBucketKey reads the Bucket (which must exist) and Key arguments.
func (f *Fake) argBucketKey(a *fakeapi.Args) (*bucket, string, error) {
	name, key := a.Str("Bucket"), a.Str("Key")
	if a.Err() != nil {
		return nil, "", a.Err()
	}
	b, err := f.bucket(name)
	return b, key, err
}

// putObject: Bucket, Key, Body (string), ACL, ServerSideEncryption,
// SsekmsKeyId, StorageClass.
func (f *Fake) putObject(a *fakeapi.Args) (map[string]any, error) {
	name, key, body := a.Str("Bucket"), a.Str("Key"), a.OptStr("Body")
	w := readWriteOptions(a)
	if a.Err() != nil {
		return nil, a.Err()
	}
	b, err := f.writableBucket(name, w)
	if err != nil {
		return nil, err
	}
	sse, kms := b.encryption(w.sse, w.kms)
	content := realContent([]byte(body))
	o := f.store(b, f.ownKey(b, key), content, etagOf(content), sse, kms, w.acl, w.storageClass)
	res := map[string]any{"ETag": o.etag.quoted()}
	addSSE(res, sse, kms)
	return res, nil
}

// copyObject: Bucket, Key, CopySource; ACL, ServerSideEncryption,
// SsekmsKeyId, StorageClass, MetadataDirective.
func (f *Fake) copyObject(a *fakeapi.Args) (map[string]any, error) {
	name, key, source := a.Str("Bucket"), a.Str("Key"), a.Str("CopySource")
	w := readWriteOptions(a)
	directive := a.OptStr("MetadataDirective")
	if a.Err() != nil {
		return nil, a.Err()
	}
	b, err := f.writableBucket(name, w)
	if err != nil {
		return nil, err
	}
	src, err := f.copySource(source)
	if err != nil {
		return nil, err
	}
	if src.size > MaxCopySize {
		return nil, tooLargeSource()
	}
	if b.objects[key] == src && directive != "REPLACE" && w.storageClass == "" && w.sse == "" {
		return nil, s3Error(400, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	sse, kms := b.encryption(w.sse, w.kms)
	// A single-part source's ETag is already etagOf(src.content), the copy's.
	tag := src.etag
	if tag.parts > 0 {
		tag = etagOf(src.content)
	}
	o := f.store(b, f.ownKey(b, key), src.content, tag, sse, kms, w.acl, w.storageClass)
	res := map[string]any{"CopyObjectResult": map[string]any{
		"ETag": o.etag.quoted(), "LastModified": isoTime(o.lastModified()),
	}}
	addSSE(res, sse, kms)
	return res, nil
}

// deleteObject: Bucket, Key. Deleting a missing key succeeds, as in S3.
func (f *Fake) deleteObject(a *fakeapi.Args) (map[string]any, error) {
	b, key, err := f.argBucketKey(a)
	if err != nil {
		return nil, err
	}
	b.delete(key)
	return map[string]any{}, nil
}

// copySource resolves a CopySource argument to an existing object.
func (f *Fake) copySource(source string) (*object, error) {
	srcBucket, srcKey, err := parseCopySource(source)
	if err != nil {
		return nil, err
	}
	sb, err := f.bucket(srcBucket)
	if err != nil {
		return nil, err
	}
	return sb.object(srcKey)
}

func tooLargeSource() error {
	return s3Error(400, "InvalidRequest", "The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
}

// writeOptions are the settings of a request that writes an object.
type writeOptions struct {
	acl, sse, kms, storageClass string
}

// readWriteOptions reads the write settings. Step Functions names the
// members as the Java SDK v2 does: the API's SSEKMSKeyId is SsekmsKeyId, and
// the API's spelling is refused as Step Functions refuses an unknown field.
func readWriteOptions(a *fakeapi.Args) writeOptions {
	if a.Value("SSEKMSKeyId") != nil {
		a.Fail("argument SSEKMSKeyId is not a field of the Step Functions integration: it is named SsekmsKeyId")
	}
	return writeOptions{
		acl: a.OptStr("ACL"), sse: a.OptStr("ServerSideEncryption"),
		kms: a.OptStr("SsekmsKeyId"), storageClass: a.OptStr("StorageClass"),
	}
}

// writableBucket returns the destination bucket of a write after checking
// its ACL and encryption settings.
func (f *Fake) writableBucket(name string, w writeOptions) (*bucket, error) {
	b, err := f.bucket(name)
	if err != nil {
		return nil, err
	}
	if err := b.checkACL(w.acl); err != nil {
		return nil, err
	}
	switch w.sse {
	case "", "AES256", "aws:kms", "aws:kms:dsse":
	default:
		return nil, s3Error(400, "InvalidArgument", "The encryption method specified is not supported: "+w.sse)
	}
	if w.kms != "" && !strings.HasPrefix(w.sse, "aws:kms") {
		return nil, s3Error(400, "InvalidArgument", "SsekmsKeyId requires ServerSideEncryption aws:kms")
	}
	return b, nil
}

func addSSE(res map[string]any, sse, kms string) {
	res["ServerSideEncryption"] = sse
	if kms != "" {
		res["SsekmsKeyId"] = kms
	}
}
