package asl

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
)

// getObjectResource is the S3 ItemReader that reads one object as a data
// set (InputType CSV, JSON, JSONL, ...); this executor reads JSON only.
var getObjectResource = regexp.MustCompile(`^arn:[a-z-]+:states:::s3:getObject$`)

// parseJSONConfig reads ReaderConfig.InputType and ItemsPointer: a getObject
// reader needs InputType JSON (the only one modelled here); ItemsPointer, a
// JSON Pointer (RFC 6901) to the array inside the object, applies to it
// alone. (UNVERIFIED against AWS: ItemsPointer was not found in the
// documentation available here; see the catalog construct.)
func (r *itemReader) parseJSONConfig(rc map[string]any) error {
	it, hasType := rc["InputType"]
	ptr, hasPtr := rc["ItemsPointer"]
	if !r.json {
		if hasType || hasPtr {
			return fmt.Errorf("ItemReader.ReaderConfig InputType and ItemsPointer apply to arn:aws:states:::s3:getObject only")
		}
		return nil
	}
	if it != "JSON" {
		return fmt.Errorf("ItemReader.ReaderConfig.InputType %v is not supported (only JSON)", it)
	}
	r.jsonTyped = true
	if hasPtr {
		s, ok := ptr.(string)
		if !ok || (s != "" && !strings.HasPrefix(s, "/")) {
			return fmt.Errorf("ItemReader.ReaderConfig.ItemsPointer must be a JSON Pointer such as /items, got %v", ptr)
		}
		r.pointer = s
	}
	return nil
}

// jsonReader reads arn:aws:states:::s3:getObject {Bucket, Key} through
// the integration and yields the array at pointer of its JSON body, in one
// page.
type jsonReader struct {
	sr      *stateRun
	args    map[string]any
	pointer string
	limit   int
	done    bool
}

func (r *jsonReader) next() ([]any, *awserr.Error) {
	if r.done {
		return nil, nil
	}
	r.done = true
	x := r.sr.th.x
	if x.ex.integ == nil {
		return nil, newErr(ErrItemReaderFailed, "no integration configured for s3:getObject")
	}
	res, err := r.sr.th.call("s3", "getObject", r.args)
	if err != nil {
		if x.ctx.Err() != nil || err.Name == ErrTimeout {
			return nil, err
		}
		return nil, newErr(ErrItemReaderFailed, fmt.Sprintf("An error occurred while reading items with s3:getObject: %s: %s", err.Name, err.Cause))
	}
	page, _ := res.(map[string]any)
	body, ok := page["Body"].(string)
	if !ok {
		return nil, newErr(ErrItemReaderFailed, "s3:getObject returned no Body")
	}
	var doc any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return nil, newErr(ErrItemReaderFailed, fmt.Sprintf("The object %v is not valid JSON: %v", r.args["Key"], err))
	}
	node, found := jsonPointer(doc, r.pointer)
	items, isArr := node.([]any)
	if !found || !isArr {
		return nil, newErr(ErrItemReaderFailed, fmt.Sprintf("The JSON of object %v has no array at %q", r.args["Key"], r.pointer))
	}
	if r.limit > 0 && len(items) > r.limit {
		items = items[:r.limit]
	}
	return items, nil
}

// jsonPointer resolves an RFC 6901 pointer.
func jsonPointer(doc any, pointer string) (any, bool) {
	if pointer == "" {
		return doc, true
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := doc.(type) {
		case map[string]any:
			v, ok := n[tok]
			if !ok {
				return nil, false
			}
			doc = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil, false
			}
			doc = n[i]
		default:
			return nil, false
		}
	}
	return doc, true
}
