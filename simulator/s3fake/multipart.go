package s3fake

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
)

type upload struct {
	id, bucket, key string
	initiated       time.Time
	parts           map[int64]*part
	w               writeOptions
}

type part struct {
	content []extent
	size    int64
	etag    string // unquoted
}

// createMultipartUpload: Bucket, Key; ACL, ServerSideEncryption,
// SsekmsKeyId, StorageClass.
func (f *Fake) createMultipartUpload(a *fakeapi.Args) (map[string]any, error) {
	name, key := a.Str("Bucket"), a.Str("Key")
	w := readWriteOptions(a)
	if a.Err() != nil {
		return nil, a.Err()
	}
	b, err := f.writableBucket(name, w)
	if err != nil {
		return nil, err
	}
	w.sse, w.kms = b.encryption(w.sse, w.kms)
	u := &upload{id: f.nextID("upload", name, key), bucket: name, key: key, initiated: f.now(), parts: map[int64]*part{}, w: w}
	f.uploads[u.id] = u
	res := map[string]any{"Bucket": name, "Key": key, "UploadId": u.id}
	addSSE(res, w.sse, w.kms)
	return res, nil
}

var rangeRE = regexp.MustCompile(`^bytes=(\d+)-(\d+)$`)

// uploadPartCopy: Bucket, Key, UploadId, PartNumber, CopySource,
// CopySourceRange ("bytes=first-last", inclusive; default the whole source).
func (f *Fake) uploadPartCopy(a *fakeapi.Args) (map[string]any, error) {
	u, err := f.argUpload(a)
	number := a.Int("PartNumber")
	source, rng := a.Str("CopySource"), a.OptStr("CopySourceRange")
	if a.Err() != nil {
		return nil, a.Err()
	}
	if err != nil {
		return nil, err
	}
	if number < 1 || number > MaxParts {
		return nil, s3Error(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive")
	}
	src, err := f.copySource(source)
	if err != nil {
		return nil, err
	}
	first, last := int64(0), src.size-1
	if rng == "" && src.size > MaxCopySize {
		return nil, tooLargeSource()
	}
	if rng != "" {
		m := rangeRE.FindStringSubmatch(rng)
		if m == nil {
			return nil, s3Error(400, "InvalidArgument", "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy")
		}
		first, _ = strconv.ParseInt(m[1], 10, 64)
		last, _ = strconv.ParseInt(m[2], 10, 64)
		if first > last || last >= src.size {
			return nil, s3Error(400, "InvalidArgument", fmt.Sprintf("Range specified is not valid for source object of size: %d", src.size))
		}
	}
	if last-first+1 > MaxPartSize {
		return nil, s3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	}
	content := sliceContent(src.content, first, last-first+1)
	p := &part{content: content, size: last - first + 1, etag: etagOf(content).String()}
	u.parts[number] = p
	res := map[string]any{"CopyPartResult": map[string]any{"ETag": quote(p.etag), "LastModified": isoTime(f.now())}}
	addSSE(res, u.w.sse, u.w.kms)
	return res, nil
}

// completeMultipartUpload: Bucket, Key, UploadId,
// MultipartUpload {Parts: [{ETag, PartNumber}]}.
func (f *Fake) completeMultipartUpload(a *fakeapi.Args) (map[string]any, error) {
	u, err := f.argUpload(a)
	listed := parts(a)
	if a.Err() != nil {
		return nil, a.Err()
	}
	if err != nil {
		return nil, err
	}
	if len(listed) == 0 {
		return nil, s3Error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
	}
	if len(listed) > MaxParts {
		return nil, s3Error(400, "InvalidArgument", fmt.Sprintf("Part number must be an integer between 1 and 10000, inclusive (%d parts listed)", len(listed)))
	}
	var contents [][]extent
	var etags []string
	var total int64
	for i, l := range listed {
		if i > 0 && l.number <= listed[i-1].number {
			return nil, s3Error(400, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.")
		}
		p := u.parts[l.number]
		if p == nil || strings.Trim(l.etag, `"`) != p.etag {
			return nil, s3Error(400, "InvalidPart", fmt.Sprintf("One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag. (part %d)", l.number))
		}
		if i < len(listed)-1 && p.size < MinPartSize {
			return nil, s3Error(400, "EntityTooSmall", fmt.Sprintf("Your proposed upload is smaller than the minimum allowed size (part %d: %d bytes)", l.number, p.size))
		}
		contents, etags, total = append(contents, p.content), append(etags, p.etag), total+p.size
	}
	if total > MaxObjectSize {
		return nil, s3Error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
	}
	b, err := f.bucket(u.bucket)
	if err != nil {
		return nil, err
	}
	o := f.store(b, f.ownKey(b, u.key), concat(contents...), multipartETag(etags), u.w.sse, u.w.kms, u.w.acl, u.w.storageClass)
	delete(f.uploads, u.id)
	res := map[string]any{
		"Bucket": u.bucket, "Key": u.key, "ETag": o.etag.quoted(),
		"Location": "https://" + u.bucket + ".s3.amazonaws.com/" + u.key,
	}
	addSSE(res, u.w.sse, u.w.kms)
	return res, nil
}

// abortMultipartUpload: Bucket, Key, UploadId.
func (f *Fake) abortMultipartUpload(a *fakeapi.Args) (map[string]any, error) {
	u, err := f.argUpload(a)
	if a.Err() != nil {
		return nil, a.Err()
	}
	if err != nil {
		return nil, err
	}
	delete(f.uploads, u.id)
	return map[string]any{}, nil
}

// listMultipartUploads: Bucket, Prefix. Uploads is absent when none is open.
func (f *Fake) listMultipartUploads(a *fakeapi.Args) (map[string]any, error) {
	name, prefix := a.Str("Bucket"), a.OptStr("Prefix")
	if a.Err() != nil {
		return nil, a.Err()
	}
	if _, err := f.bucket(name); err != nil {
		return nil, err
	}
	var open []*upload
	for _, u := range f.uploads {
		if u.bucket == name && hasPrefix(u.key, prefix) {
			open = append(open, u)
		}
	}
	sort.Slice(open, func(i, j int) bool {
		if open[i].key != open[j].key {
			return open[i].key < open[j].key
		}
		return open[i].initiated.Before(open[j].initiated)
	})
	res := map[string]any{"Bucket": name, "Prefix": prefix, "IsTruncated": false}
	var uploads []any
	for _, u := range open {
		uploads = append(uploads, map[string]any{"Key": u.key, "UploadId": u.id, "Initiated": isoTime(u.initiated)})
	}
	if len(uploads) > 0 {
		res["Uploads"] = uploads
	}
	return res, nil
}

// argUpload resolves Bucket, Key and UploadId to an open upload.
func (f *Fake) argUpload(a *fakeapi.Args) (*upload, error) {
	name, key, id := a.Str("Bucket"), a.Str("Key"), a.Str("UploadId")
	if a.Err() != nil {
		return nil, a.Err()
	}
	if _, err := f.bucket(name); err != nil {
		return nil, err
	}
	u := f.uploads[id]
	if u == nil || u.bucket != name || u.key != key {
		return nil, awsNoSuchUpload(id)
	}
	return u, nil
}

type listedPart struct {
	number int64
	etag   string
}

// parts reads MultipartUpload.Parts.
func parts(a *fakeapi.Args) []listedPart {
	mu, ok := a.Value("MultipartUpload").(map[string]any)
	if !ok {
		a.Fail("argument MultipartUpload must be an object with Parts")
		return nil
	}
	list, ok := mu["Parts"].([]any)
	if !ok {
		a.Fail("argument MultipartUpload.Parts must be an array")
		return nil
	}
	out := make([]listedPart, 0, len(list))
	for i, item := range list {
		m, _ := item.(map[string]any)
		etag, _ := m["ETag"].(string)
		n, ok := fakeapi.ToInt(m["PartNumber"])
		if m == nil || etag == "" || !ok {
			a.Fail("MultipartUpload.Parts[%d] must have a string ETag and an integer PartNumber, got %v", i, item)
			return nil
		}
		out = append(out, listedPart{number: n, etag: etag})
	}
	return out
}
