package rdsfake

import (
	"context"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
	"github.com/snapshotlake/snapshotlake/simulator/s3fake"
)

// Defaults used to build snapshot ARNs that a scenario leaves empty; they
// match the example events in shared/data/events.
const (
	// DefaultRegion is the Region of derived snapshot ARNs.
	DefaultRegion = "ap-northeast-1"
	// DefaultAccount is the account of derived snapshot ARNs.
	DefaultAccount = "111122223333"
)

// MaxConcurrentExports is the per-account quota of export tasks in STARTING,
// IN_PROGRESS or CANCELING.
const MaxConcurrentExports = 5

// Error names returned by the fake, as Step Functions' aws-sdk integration
// names them (Java SDK v2 exception names with the "Rds." prefix).
const (
	// ErrInvalidParameterValue reports a bad export identifier, an S3Prefix
	// with ':', a SourceArn that is no snapshot ARN or a SnapshotType the
	// call does not take. RDS's InvalidParameterValue is not a modelled
	// error of these operations in the RDS service model, so the SDK raises
	// its generic exception and Step Functions names it Rds.RdsException.
	ErrInvalidParameterValue = "Rds.RdsException"
	// ErrExportTaskAlreadyExists reports a reused ExportTaskIdentifier.
	ErrExportTaskAlreadyExists = "Rds.ExportTaskAlreadyExistsException"
	// ErrExportTaskNotFound reports an unknown ExportTaskIdentifier.
	ErrExportTaskNotFound = "Rds.ExportTaskNotFoundException"
	// ErrDBClusterSnapshotNotFound reports an unknown cluster snapshot.
	ErrDBClusterSnapshotNotFound = "Rds.DbClusterSnapshotNotFoundException"
	// ErrDBSnapshotNotFound reports an unknown instance snapshot.
	ErrDBSnapshotNotFound = "Rds.DbSnapshotNotFoundException"
	// ErrInvalidExportSourceState reports a snapshot that is not available.
	ErrInvalidExportSourceState = "Rds.InvalidExportSourceStateException"
	// ErrInvalidS3Bucket reports an export bucket missing from the S3 fake.
	ErrInvalidS3Bucket = "Rds.InvalidS3BucketException"
	// ErrRds is the generic RDS exception, used for the export quota.
	ErrRds = "Rds.RdsException"
	// ErrInvalidCall reports a call the SDK itself would refuse (unknown
	// action, missing or wrong-typed argument). Like every States.Runtime
	// error it is meant to fail the execution.
	ErrInvalidCall = fakeapi.ErrInvalidCall
)

// ClusterSnapshot configures an Aurora (DB cluster) snapshot.
type ClusterSnapshot struct {
	// Identifier is the DbClusterSnapshotIdentifier, e.g.
	// "rds:analytics-db-2026-11-24-03-04".
	Identifier string
	// ARN. Default: arn:aws:rds:<DefaultRegion>:<DefaultAccount>:cluster-snapshot:<Identifier>.
	ARN               string
	ClusterIdentifier string
	// Engine. Default: aurora-postgresql.
	Engine        string
	EngineVersion string
	CreateTime    time.Time
	// Type is automated, manual or awsbackup. Default: manual.
	Type string
	// Status. Default: available.
	Status           string
	StorageEncrypted bool
}

// InstanceSnapshot configures an RDS (DB instance) snapshot.
type InstanceSnapshot struct {
	// Identifier is the DbSnapshotIdentifier, e.g. "rds:orders-db-2026-11-24-04-24".
	Identifier string
	// ARN. Default: arn:aws:rds:<DefaultRegion>:<DefaultAccount>:snapshot:<Identifier>.
	ARN                string
	InstanceIdentifier string
	// Engine. Default: postgres.
	Engine        string
	EngineVersion string
	CreateTime    time.Time
	// Type is automated, manual or awsbackup. Default: manual.
	Type string
	// Status. Default: available.
	Status    string
	Encrypted bool
}

// ExportPlan scripts what an export task does.
type ExportPlan struct {
	// PollsBeforeDone is how many describes of the task answer a non-final
	// status (the first STARTING, later ones IN_PROGRESS); the next one
	// answers FinalStatus. Default: 0, the first describe is final.
	PollsBeforeDone int
	// FinalStatus is COMPLETE, FAILED or CANCELED. Default: COMPLETE.
	FinalStatus string
	// FailureCause is reported with FAILED or CANCELED.
	FailureCause string
	// Objects are written as declared-size objects, keys relative to the
	// export root "[S3Prefix/]<id>/" (ExportOnly does not filter them).
	Objects []DeclaredObject
	// Generated, when set, yields more declared objects on each export,
	// after Objects: a scenario of a million objects need not hold a million
	// keys besides the ones S3 holds.
	Generated iter.Seq[DeclaredObject]
	// Tables are written in RDS's layout: a GZIP Parquet file (when the table
	// has rows) and a _SUCCESS marker in "<db>/<schema>.<table>/1/", for the
	// tables ExportOnly selects.
	Tables []Table
}

// DeclaredObject is an object of a given size whose bytes are generated.
type DeclaredObject struct {
	Key  string
	Size int64
}

// Fake simulates RDS snapshots and exports. Create it with New.
type Fake struct {
	mu          sync.Mutex
	s3          *s3fake.Fake
	now         func() time.Time
	snapshots   []*snapshot // in the order added
	defaultPlan ExportPlan
	plans       map[string]ExportPlan // by snapshot ARN
	tasks       map[string]*task
	taskOrder   []string
	api         *fakeapi.Service
}

// Fault makes matching calls fail before they do anything: Action is the
// camelCase action, e.g. "startExportTask"; Error the error name returned,
// e.g. "Rds.RdsException"; Cause the error cause. Its KeyPattern is matched
// against the call's ExportTaskIdentifier, SourceArn,
// DbClusterSnapshotIdentifier and DbSnapshotIdentifier arguments.
type Fault = fakeapi.Fault

type snapshot struct {
	cluster                                   bool
	id, arn, parent, engine, version, typ, st string
	created                                   time.Time
	encrypted                                 bool
}

// New returns an RDS without snapshots whose exports write into s3.
func New(s3 *s3fake.Fake) *Fake {
	f := &Fake{
		s3:    s3,
		now:   func() time.Time { return time.Now().UTC() },
		plans: map[string]ExportPlan{},
		tasks: map[string]*task{},
	}
	f.api = fakeapi.NewService("rds", &f.mu, map[string]fakeapi.Handler{
		"describeDBClusterSnapshots": func(a *fakeapi.Args) (map[string]any, error) { return f.describeSnapshots(a, true) },
		"describeDBSnapshots":        func(a *fakeapi.Args) (map[string]any, error) { return f.describeSnapshots(a, false) },
		"startExportTask":            f.startExportTask,
		"describeExportTasks":        f.describeExportTasks,
	}, "ExportTaskIdentifier", "SourceArn", "DbClusterSnapshotIdentifier", "DbSnapshotIdentifier")
	return f
}

// SetClock replaces the clock used for task start and end times.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// AddClusterSnapshot adds a DB cluster snapshot and returns its ARN.
func (f *Fake) AddClusterSnapshot(s ClusterSnapshot) string {
	return f.add(&snapshot{
		cluster: true, id: s.Identifier, arn: s.ARN, parent: s.ClusterIdentifier,
		engine: or(s.Engine, "aurora-postgresql"), version: s.EngineVersion, typ: s.Type,
		st: s.Status, created: s.CreateTime, encrypted: s.StorageEncrypted,
	})
}

// AddInstanceSnapshot adds a DB instance snapshot and returns its ARN.
func (f *Fake) AddInstanceSnapshot(s InstanceSnapshot) string {
	return f.add(&snapshot{
		id: s.Identifier, arn: s.ARN, parent: s.InstanceIdentifier,
		engine: or(s.Engine, "postgres"), version: s.EngineVersion, typ: s.Type,
		st: s.Status, created: s.CreateTime, encrypted: s.Encrypted,
	})
}

func (f *Fake) add(s *snapshot) string {
	if s.arn == "" {
		kind := "snapshot"
		if s.cluster {
			kind = "cluster-snapshot"
		}
		s.arn = "arn:aws:rds:" + DefaultRegion + ":" + DefaultAccount + ":" + kind + ":" + s.id
	}
	s.typ, s.st = or(s.typ, "manual"), or(s.st, "available")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snapshots = append(f.snapshots, s)
	return s.arn
}

// SetDefaultPlan sets the plan of exports of snapshots without their own.
func (f *Fake) SetDefaultPlan(p ExportPlan) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.defaultPlan = p
}

// SetPlan sets the plan of exports of the snapshot with the given ARN.
func (f *Fake) SetPlan(snapshotARN string, p ExportPlan) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.plans[snapshotARN] = p
}

// AddFault registers a fault. It panics if KeyPattern is not a valid
// regular expression.
func (f *Fake) AddFault(ft Fault) { f.api.AddFault(ft) }

// Calls returns the number of Call invocations per action, keyed like
// "rds:startExportTask", counting failed ones.
func (f *Fake) Calls() map[string]int { return f.api.Calls() }

// Task returns an export task as describeExportTasks shows it, without
// advancing it.
func (f *Fake) Task(id string) (map[string]any, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.tasks[id]
	if t == nil {
		return nil, false
	}
	return t.response(), true
}

// Call answers an aws-sdk:rds task. action is the camelCase action name and
// args the task's resolved Arguments with PascalCase member names; the
// result is the JSON-compatible response. Errors are *awserr.Error.
func (f *Fake) Call(ctx context.Context, action string, args map[string]any) (any, error) {
	return f.api.Call(ctx, action, args)
}

// describeSnapshots answers describeDBClusterSnapshots (filters
// DbClusterSnapshotIdentifier — an id or an ARN —, DbClusterIdentifier,
// SnapshotType) and describeDBSnapshots (DbSnapshotIdentifier,
// DbInstanceIdentifier, SnapshotType).
func (f *Fake) describeSnapshots(a *fakeapi.Args, cluster bool) (map[string]any, error) {
	idArg, parentArg, listName, missing := "DbSnapshotIdentifier", "DbInstanceIdentifier", "DbSnapshots", ErrDBSnapshotNotFound
	if cluster {
		idArg, parentArg, listName, missing = "DbClusterSnapshotIdentifier", "DbClusterIdentifier", "DbClusterSnapshots", ErrDBClusterSnapshotNotFound
	}
	id, parent, typ := a.OptStr(idArg), a.OptStr(parentArg), a.OptStr("SnapshotType")
	if a.Err() != nil {
		return nil, a.Err()
	}
	if typ != "" && !slices.Contains(snapshotTypes(cluster), typ) {
		return nil, rdsError(ErrInvalidParameterValue, 400, "Invalid value for SnapshotType: %s. Valid values are %s", typ, strings.Join(snapshotTypes(cluster), ", "))
	}
	list := []any{}
	for _, s := range f.snapshots {
		if s.cluster == cluster && (id == "" || id == s.id || id == s.arn) &&
			(parent == "" || parent == s.parent) && (typ == "" || typ == s.typ) {
			list = append(list, s.response())
		}
	}
	if id != "" && len(list) == 0 {
		return nil, rdsError(missing, 404, "%s not found: %s", idArg, id)
	}
	return map[string]any{listName: list}, nil
}

// snapshotTypes are the SnapshotType values each call accepts (RDS API
// reference): DescribeDBClusterSnapshots automated, manual, shared, public;
// DescribeDBSnapshots also awsbackup ("The awsbackup type does not apply to
// Aurora").
func snapshotTypes(cluster bool) []string {
	if cluster {
		return []string{"automated", "manual", "shared", "public"}
	}
	return []string{"automated", "manual", "shared", "public", "awsbackup"}
}

func (s *snapshot) response() map[string]any {
	m := map[string]any{
		"SnapshotCreateTime": isoTime(s.created), "Engine": s.engine, "EngineVersion": s.version,
		"SnapshotType": s.typ, "Status": s.st, "PercentProgress": float64(100),
	}
	if s.cluster {
		m["DbClusterSnapshotIdentifier"], m["DbClusterSnapshotArn"], m["DbClusterIdentifier"] = s.id, s.arn, s.parent
		m["StorageEncrypted"] = s.encrypted
	} else {
		m["DbSnapshotIdentifier"], m["DbSnapshotArn"], m["DbInstanceIdentifier"] = s.id, s.arn, s.parent
		m["Encrypted"] = s.encrypted
	}
	return m
}

func rdsError(name string, status int, format string, args ...any) error {
	return awserr.New(name, format+" (Service: Rds, Status Code: %d)", append(args, status)...)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

const timeLayout = "2006-01-02T15:04:05.000Z"

func isoTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// accountOf returns the account field of an ARN.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
