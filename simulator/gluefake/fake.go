// Package gluefake is an in-memory AWS Glue Data Catalog for running the
// catalog state machine locally. It answers the aws-sdk:glue tasks that
// state machine uses (getTable, createTable, updateTable, createPartition,
// batchCreatePartition) through [Fake.Call], with Step Functions' argument
// and error names.
//
// Shapes are those of the Glue API model (aws-sdk-go-v2
// service/glue/api_op_CreateTable.go, api_op_UpdateTable.go,
// api_op_GetTable.go, api_op_CreatePartition.go,
// api_op_BatchCreatePartition.go): requests carry DatabaseName and a
// TableInput or PartitionInput with PascalCase members, GetTable returns
// {Table}, BatchCreatePartition returns {Errors: [PartitionError]}. Error
// codes are the model's (service/glue/types/errors.go), prefixed "Glue." as
// Step Functions names the errors of an aws-sdk integration.
// A Fake is safe for concurrent use.
package gluefake

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/snapshotlake/snapshotlake/simulator/awserr"
	"github.com/snapshotlake/snapshotlake/simulator/fakeapi"
)

// Error names returned by the fake, as Step Functions names them: the
// model's error code after "Glue.".
const (
	// ErrAlreadyExists: "A resource to be created or added already exists."
	ErrAlreadyExists = "Glue.AlreadyExistsException"
	// ErrEntityNotFound: "A specified entity does not exist".
	ErrEntityNotFound = "Glue.EntityNotFoundException"
	// ErrInvalidInput: "The input provided was not valid."
	ErrInvalidInput = "Glue.InvalidInputException"
	// ErrInvalidCall reports a call the SDK itself would refuse or that this
	// fake does not model (States.Runtime: never retried or caught).
	ErrInvalidCall = fakeapi.ErrInvalidCall
)

// MaxBatchPartitions is the most partitions one BatchCreatePartition takes
// (PartitionInputList has "max": 100 in the Glue model).
const MaxBatchPartitions = 100

// Fault makes matching calls fail before they do anything; KeyPattern is
// matched against DatabaseName, Name and TableName.
type Fault = fakeapi.Fault

// Table is a stored table: its TableInput as last created or updated, and
// how many versions it has had (UpdateTable archives one version per call).
type Table struct {
	Input    map[string]any
	Versions int
}

// Partition is a stored partition's PartitionInput.
type Partition struct {
	Values []string
	Input  map[string]any
}

// Fake is the in-memory Data Catalog.
type Fake struct {
	mu      sync.Mutex
	svc     *fakeapi.Service
	clock   func() time.Time
	dbs     map[string]*database
	updates int
}

type database struct {
	tables map[string]*table
}

type table struct {
	Table
	created, updated time.Time
	partitions       map[string]Partition // by strings.Join(Values, "\x00")
}

// New returns an empty catalog.
func New() *Fake {
	f := &Fake{dbs: map[string]*database{}, clock: time.Now}
	f.svc = fakeapi.NewService("glue", &f.mu, map[string]fakeapi.Handler{
		"getTable":             f.getTable,
		"createTable":          f.createTable,
		"updateTable":          f.updateTable,
		"createPartition":      f.createPartition,
		"batchCreatePartition": f.batchCreatePartition,
	}, "DatabaseName", "Name", "TableName")
	return f
}

// AddDatabase creates a database, as the stack's AWS::Glue::Database does.
func (f *Fake) AddDatabase(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.dbs[name] == nil {
		f.dbs[name] = &database{tables: map[string]*table{}}
	}
}

// AddFault registers a fault.
func (f *Fake) AddFault(ft Fault) { f.svc.AddFault(ft) }

// Calls returns the number of calls per "glue:<action>".
func (f *Fake) Calls() map[string]int { return f.svc.Calls() }

// Call answers one aws-sdk:glue task.
func (f *Fake) Call(ctx context.Context, action string, args map[string]any) (any, error) {
	return f.svc.Call(ctx, action, args)
}

// Tables returns the names of a database's tables, sorted.
func (f *Fake) Tables(db string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.dbs[db]
	if d == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(d.tables))
}

// Table returns a copy of a stored table.
func (f *Fake) Table(db, name string) (Table, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.lookup(db, name)
	if t == nil {
		return Table{}, false
	}
	return Table{Input: deepCopy(t.Input), Versions: t.Versions}, true
}

// Partitions returns a table's partitions, sorted by values.
func (f *Fake) Partitions(db, name string) []Partition {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.lookup(db, name)
	if t == nil {
		return nil
	}
	keys := slices.Sorted(maps.Keys(t.partitions))
	out := make([]Partition, 0, len(keys))
	for _, k := range keys {
		p := t.partitions[k]
		out = append(out, Partition{Values: slices.Clone(p.Values), Input: deepCopy(p.Input)})
	}
	return out
}

// Mutations counts the calls that changed the catalog (a table created or
// updated, a partition added).
func (f *Fake) Mutations() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.updates
}

func (f *Fake) lookup(db, name string) *table {
	d := f.dbs[db]
	if d == nil {
		return nil
	}
	return d.tables[strings.ToLower(name)]
}

// db returns the named database or EntityNotFoundException, as Glue
// answers a call naming a database that does not exist.
func (f *Fake) db(a *fakeapi.Args) (*database, error) {
	a.Absent("CatalogId", "TransactionId", "QueryAsOfTime", "AuditContext", "IncludeStatusDetails")
	name := a.Str("DatabaseName")
	if a.Err() != nil {
		return nil, nil // the Args error is returned by fakeapi
	}
	d := f.dbs[name]
	if d == nil {
		return nil, awserr.New(ErrEntityNotFound, "Database %s not found.", name)
	}
	return d, nil
}

// getTable: DatabaseName, Name. Returns {Table}: the TableInput's members
// and DatabaseName, CreateTime, UpdateTime, VersionId.
func (f *Fake) getTable(a *fakeapi.Args) (map[string]any, error) {
	d, err := f.db(a)
	name := a.Str("Name")
	if err != nil || a.Err() != nil {
		return nil, err
	}
	t := d.tables[strings.ToLower(name)]
	if t == nil {
		return nil, awserr.New(ErrEntityNotFound, "Table %s not found.", name)
	}
	out := deepCopy(t.Input)
	out["DatabaseName"] = a.Str("DatabaseName")
	out["CreateTime"] = t.created.UTC().Format(time.RFC3339Nano)
	out["UpdateTime"] = t.updated.UTC().Format(time.RFC3339Nano)
	out["VersionId"] = fmt.Sprint(t.Versions - 1)
	return map[string]any{"Table": out}, nil
}

// createTable: DatabaseName, TableInput (Name required). Table names are
// stored lowercase, as Glue does for Hive compatibility.
func (f *Fake) createTable(a *fakeapi.Args) (map[string]any, error) {
	a.Absent("Name", "PartitionIndexes", "OpenTableFormatInput")
	d, err := f.db(a)
	in, name := tableInput(a)
	if err != nil || a.Err() != nil {
		return nil, err
	}
	key := strings.ToLower(name)
	if d.tables[key] != nil {
		return nil, awserr.New(ErrAlreadyExists, "Table already exists.")
	}
	in["Name"] = key
	now := f.clock()
	d.tables[key] = &table{Table: Table{Input: in, Versions: 1}, created: now, updated: now, partitions: map[string]Partition{}}
	f.updates++
	return map[string]any{}, nil
}

// updateTable: DatabaseName, TableInput. The input replaces the table's
// definition; each call adds a version (SkipArchive is not modelled).
func (f *Fake) updateTable(a *fakeapi.Args) (map[string]any, error) {
	a.Absent("Name", "SkipArchive", "VersionId", "ViewUpdateAction", "Force", "UpdateOpenTableFormatInput")
	d, err := f.db(a)
	in, name := tableInput(a)
	if err != nil || a.Err() != nil {
		return nil, err
	}
	t := d.tables[strings.ToLower(name)]
	if t == nil {
		return nil, awserr.New(ErrEntityNotFound, "Table %s not found.", name)
	}
	in["Name"] = strings.ToLower(name)
	t.Input = in
	t.Versions++
	t.updated = f.clock()
	f.updates++
	return map[string]any{}, nil
}

// createPartition: DatabaseName, TableName, PartitionInput (Values, one
// per partition key).
func (f *Fake) createPartition(a *fakeapi.Args) (map[string]any, error) {
	t, err := f.partitionTable(a)
	in, _ := a.Value("PartitionInput").(map[string]any)
	if in == nil {
		a.Fail("argument PartitionInput must be an object")
	}
	if err != nil || a.Err() != nil {
		return nil, err
	}
	if e := t.addPartition(in); e != nil {
		return nil, e
	}
	f.updates++
	return map[string]any{}, nil
}

// batchCreatePartition: DatabaseName, TableName, PartitionInputList (1 to
// MaxBatchPartitions). A partition that cannot be created is reported in
// Errors and does not fail the call.
func (f *Fake) batchCreatePartition(a *fakeapi.Args) (map[string]any, error) {
	t, err := f.partitionTable(a)
	list, ok := a.Value("PartitionInputList").([]any)
	if !ok || len(list) == 0 || len(list) > MaxBatchPartitions {
		a.Fail("argument PartitionInputList must be a list of 1 to %d partitions, got %v", MaxBatchPartitions, a.Value("PartitionInputList"))
	}
	if err != nil || a.Err() != nil {
		return nil, err
	}
	errs := []any{}
	for _, item := range list {
		in, _ := item.(map[string]any)
		if in == nil {
			return nil, awserr.New(ErrInvalidCall, "glue:batchCreatePartition: PartitionInputList items must be objects")
		}
		if e := t.addPartition(in); e != nil {
			code := strings.TrimPrefix(e.Name, "Glue.")
			errs = append(errs, map[string]any{
				"PartitionValues": anyList(in["Values"]),
				"ErrorDetail":     map[string]any{"ErrorCode": code, "ErrorMessage": e.Cause},
			})
			continue
		}
		f.updates++
	}
	return map[string]any{"Errors": errs}, nil
}

func (f *Fake) partitionTable(a *fakeapi.Args) (*table, error) {
	d, err := f.db(a)
	name := a.Str("TableName")
	if err != nil || a.Err() != nil {
		return nil, err
	}
	t := d.tables[strings.ToLower(name)]
	if t == nil {
		return nil, awserr.New(ErrEntityNotFound, "Table %s not found.", name)
	}
	return t, nil
}

func (t *table) addPartition(in map[string]any) *awserr.Error {
	raw, _ := in["Values"].([]any)
	values := make([]string, 0, len(raw))
	for _, v := range raw {
		s, ok := v.(string)
		if !ok {
			return awserr.New(ErrInvalidCall, "PartitionInput.Values must be strings, got %v", in["Values"])
		}
		values = append(values, s)
	}
	keys, _ := t.Input["PartitionKeys"].([]any)
	if len(values) != len(keys) {
		return awserr.New(ErrInvalidInput, "The number of partition keys do not match the number of partition values")
	}
	k := strings.Join(values, "\x00")
	if _, ok := t.partitions[k]; ok {
		return awserr.New(ErrAlreadyExists, "Partition already exists.")
	}
	t.partitions[k] = Partition{Values: values, Input: deepCopy(in)}
	return nil
}

// tableInput reads and checks TableInput: Name, and StorageDescriptor
// Columns and PartitionKeys with Name and Type.
func tableInput(a *fakeapi.Args) (map[string]any, string) {
	in, _ := a.Value("TableInput").(map[string]any)
	if in == nil {
		a.Fail("argument TableInput is required and must be an object")
		return nil, ""
	}
	name, _ := in["Name"].(string)
	if name == "" || len(name) > 255 {
		a.Fail("TableInput.Name must be 1 to 255 characters, got %q", name)
	}
	sd, _ := in["StorageDescriptor"].(map[string]any)
	var cols []any
	if sd != nil {
		cols, _ = sd["Columns"].([]any)
	}
	pks, _ := in["PartitionKeys"].([]any)
	for _, c := range append(slices.Clone(cols), pks...) {
		m, _ := c.(map[string]any)
		n, _ := m["Name"].(string)
		if n == "" || len(n) > 255 {
			a.Fail("TableInput column names must be 1 to 255 characters, got %v", c)
		}
		if _, ok := m["Type"].(string); !ok {
			a.Fail("TableInput column %q has no Type", n)
		}
	}
	return deepCopy(in), name
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

// deepCopy copies a JSON value through encoding/json.
func deepCopy(m map[string]any) map[string]any {
	data, err := json.Marshal(m)
	if err != nil {
		panic(err) // JSON values from the executor always marshal
	}
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

// Columns returns a table's StorageDescriptor columns as name → type, in
// order, for tests.
func Columns(t Table) [][2]string {
	sd, _ := t.Input["StorageDescriptor"].(map[string]any)
	cols, _ := sd["Columns"].([]any)
	out := make([][2]string, 0, len(cols))
	for _, c := range cols {
		m, _ := c.(map[string]any)
		out = append(out, [2]string{fmt.Sprint(m["Name"]), fmt.Sprint(m["Type"])})
	}
	return out
}
