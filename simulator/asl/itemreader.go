package asl

import (
	"fmt"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// objectLister pages arn:aws:states:::s3:listObjectsV2 through the
// integration, one page per next call, and turns each object into the item
// the S3 ItemReader yields: {Key, Size, Etag, LastModified (epoch seconds),
// StorageClass}. Pages are read as the Map needs them, so that an export of
// millions of objects is never held in memory at once.
type objectLister struct {
	sr    *stateRun
	args  map[string]any
	limit int // ReaderConfig.MaxItems; 0 = all
	token string
	read  int
	done  bool
}

// next returns the next page's items; nil once the listing is done.
func (l *objectLister) next() ([]any, *awserr.Error) {
	if l.done {
		return nil, nil
	}
	x := l.sr.th.x
	if x.ex.integ == nil {
		return nil, newErr(ErrItemReaderFailed, "no integration configured for s3:listObjectsV2")
	}
	params := make(map[string]any, len(l.args)+1)
	for k, v := range l.args {
		params[k] = v
	}
	if l.token != "" {
		params["ContinuationToken"] = l.token
	}
	res, err := l.sr.th.call("s3", "listObjectsV2", params)
	if err != nil {
		if x.ctx.Err() != nil || err.Name == ErrTimeout {
			return nil, err
		}
		return nil, newErr(ErrItemReaderFailed, fmt.Sprintf("An error occurred while reading items with s3:listObjectsV2: %s: %s", err.Name, err.Cause))
	}
	// The fakes answer in plain JSON values; anything else is normalized.
	page, ok := res.(map[string]any)
	contents, plain := page["Contents"].([]any)
	if _, has := page["Contents"]; !ok || has && !plain {
		norm, _, nerr := normalize(res)
		if page, ok = norm.(map[string]any); nerr != nil || !ok {
			return nil, newErr(ErrItemReaderFailed, "s3:listObjectsV2 returned a response that is not a JSON object")
		}
		contents, _ = page["Contents"].([]any)
	}
	items := make([]any, 0, len(contents))
	for _, c := range contents {
		o, ok := c.(map[string]any)
		if !ok {
			continue
		}
		items = append(items, s3Item(o))
		l.read++
		if l.limit > 0 && l.read >= l.limit {
			l.done = true
			return items, nil
		}
	}
	l.token, _ = page["NextContinuationToken"].(string)
	if truncated, _ := page["IsTruncated"].(bool); !truncated || l.token == "" {
		l.done = true
	}
	return items, nil
}

func s3Item(o map[string]any) map[string]any {
	etag := o["Etag"]
	if v, ok := o["ETag"]; ok {
		etag = v
	}
	sc := o["StorageClass"]
	if sc == nil {
		sc = "STANDARD"
	}
	return map[string]any{
		"Key":          o["Key"],
		"Size":         o["Size"],
		"Etag":         etag,
		"LastModified": epochSeconds(o["LastModified"]),
		"StorageClass": sc,
	}
}

func epochSeconds(v any) any {
	switch t := v.(type) {
	case string:
		for _, layout := range []string{time.RFC3339Nano, time.RFC1123, "2006-01-02T15:04:05.000Z0700"} {
			if p, err := time.Parse(layout, t); err == nil {
				return float64(p.Unix())
			}
		}
		return t
	case float64:
		if t > 1e11 { // milliseconds
			return float64(int64(t / 1000))
		}
		return t
	default:
		return v
	}
}
