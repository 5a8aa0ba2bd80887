package s3fake

import (
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// parseCopySource splits a CopySource ("<bucket>/<url-encoded key>",
// optionally with a leading "/") into bucket and key, decoding it like S3:
//
//   - Everything from the first "?" is a query; "versionId" is refused (the
//     product does not use versions), other parameters are ignored — so an
//     unencoded "?" in a key truncates the key.
//   - The rest is percent-decoded as a whole before it is split at the first
//     "/", so an encoded separator ("bucket%2Fkey") still works, as S3 does
//     (aws/aws-sdk-js#1821: encodeURIComponent of the whole "/bucket/key"
//     copies fine). A malformed "%" sequence, or bytes that are not UTF-8,
//     are InvalidArgument.
//   - "+" decodes to a SPACE, as in a form-encoded query: S3 treats an
//     unencoded "+" in x-amz-copy-source as a space, and a literal "+" must be
//     sent as "%2B". Evidence (no AWS page states it outright):
//     aws/aws-cli#614 — a bucket-to-bucket copy of "foo++bar.txt" sent the
//     header unencoded and S3 answered NoSuchKey to UploadPartCopy, "S3
//     expects it to be foo%2B%2Bbar.txt"; awslabs/aws-sdk-rust#1357 (2025) —
//     copy of "etc/alternatives/c++" fails with NoSuchKey unless sent as
//     "c%2B%2B"; aws/aws-sdk-js#1821 — CopySource "/from/..._22:24:03+0000.jpg"
//     fails with NoSuchKey, its encodeURIComponent form works; ex-aws/ex_aws_s3#77
//     — URI.encode leaves "+" and the copy 404s. Re-implementations differ
//     (SeaweedFS keeps "+"), but S3 itself is what the state machines meet.
//     JSONata's $encodeUrlComponent encodes "+" as "%2B", so a correctly
//     encoded CopySource is unaffected; an unencoded one copies the wrong
//     key or fails with NoSuchKey, as on AWS.
//   - Raw non-ASCII or control bytes fail with SignatureDoesNotMatch: a
//     header value must be ASCII, and unencoded non-ASCII copy sources fail
//     on AWS with 403 SignatureDoesNotMatch / AccessDenied
//     (aws/aws-sdk-js-v3#5475, rusoto/rusoto#630, AdRoll/goamz#222).
func parseCopySource(s string) (bucketName, key string, err error) {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return "", "", s3Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided (non-ASCII byte in CopySource: encode it)")
		}
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		q, _ := url.ParseQuery(s[i+1:])
		if q.Has("versionId") {
			return "", "", awserr.New(ErrInvalidCall, "s3fake: CopySource versionId is not supported: %q", s)
		}
		s = s[:i]
	}
	decoded, ok := decodeCopySource(s)
	if !ok || !utf8.ValidString(decoded) {
		return "", "", s3Error(400, "InvalidArgument", "Invalid copy source encoding: "+s)
	}
	decoded = strings.TrimPrefix(decoded, "/")
	bucketName, key, _ = strings.Cut(decoded, "/")
	if bucketName == "" || key == "" {
		return "", "", s3Error(400, "InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucketName, key, nil
}

// decodeCopySource percent-decodes s, turning "+" into a space.
func decodeCopySource(s string) (string, bool) {
	if !strings.ContainsAny(s, "+%") {
		return s, true // nothing encoded: the common case, without a copy
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b.WriteByte(' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
