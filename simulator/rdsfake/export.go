package rdsfake

import (
	"bytes"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"iter"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
)

// Export task statuses, exactly as RDS spells them.
const (
	// StatusStarting is the status of a new task (RDS restores the snapshot).
	StatusStarting = "STARTING"
	// StatusInProgress is the status while data is extracted.
	StatusInProgress = "IN_PROGRESS"
	// StatusComplete is the final status of a successful export.
	StatusComplete = "COMPLETE"
	// StatusFailed is the final status of a failed export.
	StatusFailed = "FAILED"
	// StatusCanceling is the status of a task being canceled (counts toward
	// the quota; the fake never enters it by itself).
	StatusCanceling = "CANCELING"
	// StatusCanceled is the final status of a canceled export.
	StatusCanceled = "CANCELED"
)

type task struct {
	id, src, bucket, prefix, role, kms string
	exportOnly                         []string
	snap                               *snapshot
	plan                               ExportPlan
	status, failureCause               string
	polls, percent                     int
	extractedGB                        int64
	start, end                         time.Time
}

func (t *task) active() bool {
	return t.status == StatusStarting || t.status == StatusInProgress || t.status == StatusCanceling
}

// validID: starts with a letter; ASCII letters, digits and single hyphens;
// no trailing hyphen; 1 to 60 characters.
var validID = regexp.MustCompile(`^[A-Za-z](-?[A-Za-z0-9])*$`)

// startExportTask: ExportTaskIdentifier, SourceArn, S3BucketName,
// IamRoleArn, KmsKeyId; S3Prefix, ExportOnly.
func (f *Fake) startExportTask(a *fakeapi.Args) (map[string]any, error) {
	id, src := a.Str("ExportTaskIdentifier"), a.Str("SourceArn")
	bucket, role, kms := a.Str("S3BucketName"), a.Str("IamRoleArn"), a.Str("KmsKeyId")
	prefix, only := a.OptStr("S3Prefix"), a.StrList("ExportOnly")
	if a.Err() != nil {
		return nil, a.Err()
	}
	if len(id) > 60 || !validID.MatchString(id) {
		return nil, rdsError(ErrInvalidParameterValue, 400, "The parameter ExportTaskIdentifier is not a valid identifier: %q. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; must not end with a hyphen or contain two consecutive hyphens; and must be 1 to 60 characters long.", id)
	}
	if strings.Contains(prefix, ":") {
		return nil, rdsError(ErrInvalidParameterValue, 400, "The parameter S3Prefix must not contain ':': %q", prefix)
	}
	if f.tasks[id] != nil {
		return nil, rdsError(ErrExportTaskAlreadyExists, 400, "The export task with the ID %s already exists", id)
	}
	var snap *snapshot
	for _, s := range f.snapshots {
		if s.arn == src {
			snap = s
		}
	}
	switch {
	case snap == nil && strings.Contains(src, ":cluster-snapshot:"):
		return nil, rdsError(ErrDBClusterSnapshotNotFound, 404, "DBClusterSnapshot not found: %s", src)
	case snap == nil && strings.Contains(src, ":snapshot:"):
		return nil, rdsError(ErrDBSnapshotNotFound, 404, "DBSnapshot not found: %s", src)
	case snap == nil:
		return nil, rdsError(ErrInvalidParameterValue, 400, "SourceArn is not a DB snapshot or DB cluster snapshot ARN: %s", src)
	case snap.st != "available":
		return nil, rdsError(ErrInvalidExportSourceState, 400, "The snapshot %s is %s, not available", snap.id, snap.st)
	case !f.s3.BucketExists(bucket):
		return nil, rdsError(ErrInvalidS3Bucket, 400, "The S3 bucket %s doesn't exist", bucket)
	}
	active := 0
	for _, t := range f.tasks {
		if t.active() && accountOf(t.src) == accountOf(src) {
			active++
		}
	}
	if active >= MaxConcurrentExports {
		return nil, rdsError(ErrRds, 400, "You can't start more than %d concurrent export tasks. Wait for an export task to finish, then try again.", MaxConcurrentExports)
	}
	plan, ok := f.plans[src]
	if !ok {
		plan = f.defaultPlan
	}
	t := &task{
		id: id, src: src, bucket: bucket, prefix: prefix, role: role, kms: kms, exportOnly: only,
		snap: snap, plan: plan, status: StatusStarting, start: f.now(),
	}
	f.tasks[id] = t
	f.taskOrder = append(f.taskOrder, id)
	return t.response(), nil
}

// describeExportTasks: ExportTaskIdentifier, SourceArn, Filters (status,
// with the lowercase values the API reference requires), MaxRecords; none:
// every task. Every task described advances by one poll.
func (f *Fake) describeExportTasks(a *fakeapi.Args) (map[string]any, error) {
	id, src := a.OptStr("ExportTaskIdentifier"), a.OptStr("SourceArn")
	_ = a.OptInt("MaxRecords", 100)
	if a.Err() != nil {
		return nil, a.Err()
	}
	statuses, err := statusFilter(a.Value("Filters"))
	if err != nil {
		return nil, err
	}
	list := []any{}
	for _, tid := range f.taskOrder {
		t := f.tasks[tid]
		if statuses != nil && !statuses[strings.ToLower(t.status)] {
			continue
		}
		if (id == "" || id == t.id) && (src == "" || src == t.src) {
			f.advance(t)
			list = append(list, t.response())
		}
	}
	if id != "" && len(list) == 0 {
		return nil, rdsError(ErrExportTaskNotFound, 404, "Cannot find export task with ID %s", id)
	}
	return map[string]any{"ExportTasks": list}, nil
}

// statusFilter reads DescribeExportTasks' Filters; only "status" is
// modelled. Values must be lowercase statuses (RDS API reference).
func statusFilter(v any) (map[string]bool, error) {
	if v == nil {
		return nil, nil
	}
	filters, ok := v.([]any)
	if !ok {
		return nil, rdsError(ErrInvalidCall, 400, "rds:describeExportTasks: Filters must be a list")
	}
	valid := map[string]bool{"canceled": true, "canceling": true, "complete": true, "failed": true, "in_progress": true, "starting": true}
	out := map[string]bool{}
	for _, fl := range filters {
		m, _ := fl.(map[string]any)
		if m["Name"] != "status" {
			return nil, rdsError(ErrInvalidCall, 400, "rds:describeExportTasks: the fake models only the status filter, got %v", m["Name"])
		}
		values, _ := m["Values"].([]any)
		for _, x := range values {
			s, _ := x.(string)
			if !valid[s] {
				return nil, rdsError(ErrInvalidParameterValue, 400, "Unrecognized status %q: valid statuses are canceled, canceling, complete, failed, in_progress, starting", s)
			}
			out[s] = true
		}
	}
	return out, nil
}

// advance moves a task one poll along its plan.
func (f *Fake) advance(t *task) {
	if !t.active() {
		return
	}
	t.polls++
	if n := t.plan.PollsBeforeDone; t.polls <= n {
		t.status = StatusInProgress
		if t.polls == 1 {
			t.status = StatusStarting
		}
		t.percent = 100 * (t.polls - 1) / n
		return
	}
	t.end = f.now()
	switch final := or(t.plan.FinalStatus, StatusComplete); final {
	case StatusComplete:
		if err := f.writeExport(t); err != nil {
			t.status, t.failureCause = StatusFailed, err.Error()
			return
		}
		t.status, t.percent = StatusComplete, 100
	case StatusFailed, StatusCanceled:
		t.status, t.failureCause = final, t.plan.FailureCause
	default:
		t.status, t.failureCause = StatusFailed, "rdsfake: unknown FinalStatus "+final
	}
}

func (t *task) response() map[string]any {
	m := map[string]any{
		"ExportTaskIdentifier": t.id, "SourceArn": t.src, "SnapshotTime": isoTime(t.snap.created),
		"TaskStartTime": isoTime(t.start), "S3Bucket": t.bucket, "S3Prefix": t.prefix,
		"IamRoleArn": t.role, "KmsKeyId": t.kms, "Status": t.status,
		"PercentProgress": float64(t.percent), "TotalExtractedDataInGB": float64(t.extractedGB),
		// SNAPSHOT for both kinds of snapshot; CLUSTER is an export of a live
		// DB cluster, which the fake does not model.
		"SourceType": "SNAPSHOT",
	}
	if !t.end.IsZero() {
		m["TaskEndTime"] = isoTime(t.end)
	}
	if len(t.exportOnly) > 0 {
		only := make([]any, len(t.exportOnly))
		for i, s := range t.exportOnly {
			only[i] = s
		}
		m["ExportOnly"] = only
	}
	if t.failureCause != "" {
		m["FailureCause"] = t.failureCause
	}
	return m
}

// root is the export's key prefix: "[S3Prefix/]<id>/".
func (t *task) root() string {
	if p := strings.TrimSuffix(t.prefix, "/"); p != "" {
		return p + "/" + t.id + "/"
	}
	return t.id + "/"
}

// selected reports whether ExportOnly includes a table ("database",
// "database.schema", "database.schema.table", or MySQL's "database.table").
func (t *task) selected(tb Table) bool {
	if len(t.exportOnly) == 0 {
		return true
	}
	for _, e := range t.exportOnly {
		switch e {
		case tb.Database, tb.Database + "." + tb.Schema, tb.Database + "." + tb.Schema + "." + tb.Table, tb.Database + "." + tb.Table:
			return true
		}
	}
	return false
}

// pathName replaces the characters RDS replaces in export paths.
var pathName = strings.NewReplacer(`\`, "_", "`", "_", `"`, "_", " ", "_").Replace

// writeExport writes a completed export into S3 in RDS's layout.
func (f *Fake) writeExport(t *task) error {
	root := t.root()
	var total int64
	var statuses []tableStatus
	for _, tb := range t.plan.Tables {
		if !t.selected(tb) {
			continue
		}
		dir := root + pathName(tb.Database) + "/" + pathName(tb.Schema) + "." + pathName(tb.Table) + "/1/"
		st := tableStatus{Target: tb.Database + "." + tb.Schema + "." + tb.Table, Status: StatusComplete}
		if len(tb.Rows) > 0 {
			var buf bytes.Buffer
			if err := writeParquet(&buf, tb); err != nil {
				return fmt.Errorf("rdsfake: %w", err)
			}
			key := dir + "part-00000-" + nameUUID(t.id, tb.Database, tb.Schema, tb.Table) + "-c000.gz.parquet"
			if err := f.s3.PutObject(t.bucket, key, buf.Bytes()); err != nil {
				return err
			}
			total += int64(buf.Len())
			st.SizeGB = float64(buf.Len()) / (1 << 30)
		}
		cols, _ := columnsOf(tb) // writeParquet checked them
		for _, c := range cols {
			st.SchemaMetadata.OriginalTypeMappings = append(st.SchemaMetadata.OriginalTypeMappings,
				typeMapping{ColumnName: c.name, OriginalType: tb.OriginalTypes[c.name], ExpectedExportedType: exportedType[c.typ]})
		}
		if err := f.s3.PutObject(t.bucket, dir+"_SUCCESS", nil); err != nil {
			return err
		}
		statuses = append(statuses, st)
	}
	for _, objects := range []iter.Seq[DeclaredObject]{slices.Values(t.plan.Objects), t.plan.Generated} {
		if objects == nil {
			continue
		}
		for o := range objects {
			if err := f.s3.PutDeclared(t.bucket, root+o.Key, o.Size); err != nil {
				return err
			}
			total += o.Size
		}
	}
	t.extractedGB = total >> 30
	info := exportInfo{
		ExportTaskIdentifier: t.id, SourceArn: t.src, ExportOnly: append([]string{}, t.exportOnly...),
		SnapshotTime: isoTime(t.snap.created), TaskStartTime: isoTime(t.start), TaskEndTime: isoTime(t.end),
		S3Bucket: t.bucket, S3Prefix: t.prefix, ExportedFilesPath: strings.TrimSuffix(root, "/"),
		IamRoleArn: t.role, KmsKeyID: t.kms, Status: StatusComplete, PercentProgress: 100,
		TotalExportedDataInGB: t.extractedGB,
	}
	if err := f.putJSON(t.bucket, root+"export_info_"+t.id+".json", info); err != nil {
		return err
	}
	if len(statuses) == 0 {
		return nil
	}
	name := fmt.Sprintf("%sexport_tables_info_%s_from_1_to_%d.json", root, t.id, len(statuses))
	return f.putJSON(t.bucket, name, map[string]any{"perTableStatus": statuses})
}

func (f *Fake) putJSON(bucket, key string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return f.s3.PutObject(bucket, key, data)
}

// exportInfo is export_info_<id>.json (field names as in
// shared/data/exports/export_info_example.json).
type exportInfo struct {
	ExportTaskIdentifier  string   `json:"exportTaskIdentifier"`
	SourceArn             string   `json:"sourceArn"`
	ExportOnly            []string `json:"exportOnly"`
	SnapshotTime          string   `json:"snapshotTime"`
	TaskStartTime         string   `json:"taskStartTime"`
	TaskEndTime           string   `json:"taskEndTime"`
	S3Bucket              string   `json:"s3Bucket"`
	S3Prefix              string   `json:"s3Prefix"`
	ExportedFilesPath     string   `json:"exportedFilesPath"`
	IamRoleArn            string   `json:"iamRoleArn"`
	KmsKeyID              string   `json:"kmsKeyId"`
	Status                string   `json:"status"`
	PercentProgress       int      `json:"percentProgress"`
	TotalExportedDataInGB int64    `json:"totalExportedDataInGB"`
}

// tableStatus is one entry of export_tables_info_*.json (shape unverified:
// per-table target, status, size and type mappings).
type tableStatus struct {
	Target         string  `json:"target"`
	Status         string  `json:"status"`
	SizeGB         float64 `json:"sizeGB"`
	SchemaMetadata struct {
		OriginalTypeMappings []typeMapping `json:"originalTypeMappings"`
	} `json:"schemaMetadata"`
}

// typeMapping is one originalTypeMappings entry; field names as public
// tools reading real exports use them (columnName, originalType,
// expectedExportedType).
type typeMapping struct {
	ColumnName           string `json:"columnName"`
	OriginalType         string `json:"originalType,omitempty"`
	ExpectedExportedType string `json:"expectedExportedType"`
}

// nameUUID is a deterministic version-5-style UUID of the given names.
func nameUUID(names ...string) string {
	h := sha1.Sum([]byte(strings.Join(names, "\x00")))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
