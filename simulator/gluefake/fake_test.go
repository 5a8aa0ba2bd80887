package gluefake

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snapshotlake/snapshotlake/simulator/fakeapi/fakeapitest"
)

func tableInputOf(name string, cols ...string) map[string]any {
	var c []any
	for _, n := range cols {
		c = append(c, map[string]any{"Name": n, "Type": "string"})
	}
	return map[string]any{
		"Name":              name,
		"StorageDescriptor": map[string]any{"Columns": c, "Location": "s3://b/" + name + "/"},
		"PartitionKeys":     []any{map[string]any{"Name": "partition_datetime", "Type": "string"}},
	}
}

func partitionInput(value string) map[string]any {
	return map[string]any{"Values": []any{value}, "StorageDescriptor": map[string]any{"Location": "s3://b/t/" + value + "/"}}
}

func TestFake_tableLifecycle(t *testing.T) {
	f := New()
	f.AddDatabase("analytics")

	_, err := fakeapitest.Call(t, f, "getTable", map[string]any{"DatabaseName": "analytics", "Name": "t"})
	fakeapitest.CheckErr(t, err, ErrEntityNotFound, "Table t not found.")

	fakeapitest.MustCall(t, f, "createTable", map[string]any{"DatabaseName": "analytics", "TableInput": tableInputOf("T", "a")})
	_, err = fakeapitest.Call(t, f, "createTable", map[string]any{"DatabaseName": "analytics", "TableInput": tableInputOf("t", "a")})
	fakeapitest.CheckErr(t, err, ErrAlreadyExists, "already exists")

	got := fakeapitest.MustCall(t, f, "getTable", map[string]any{"DatabaseName": "analytics", "Name": "T"})
	tbl := got["Table"].(map[string]any)
	assert.Equal(t, "t", tbl["Name"], "Glue stores names lowercase")
	assert.Equal(t, "analytics", tbl["DatabaseName"])
	assert.Equal(t, "0", tbl["VersionId"])

	fakeapitest.MustCall(t, f, "updateTable", map[string]any{"DatabaseName": "analytics", "TableInput": tableInputOf("t", "a", "b")})
	stored, ok := f.Table("analytics", "t")
	require.True(t, ok)
	assert.Equal(t, [][2]string{{"a", "string"}, {"b", "string"}}, Columns(stored))
	assert.Equal(t, 2, stored.Versions)

	_, err = fakeapitest.Call(t, f, "updateTable", map[string]any{"DatabaseName": "analytics", "TableInput": tableInputOf("other", "a")})
	fakeapitest.CheckErr(t, err, ErrEntityNotFound, "Table other not found.")
	_, err = fakeapitest.Call(t, f, "getTable", map[string]any{"DatabaseName": "nodb", "Name": "t"})
	fakeapitest.CheckErr(t, err, ErrEntityNotFound, "Database nodb not found.")
	assert.Equal(t, []string{"t"}, f.Tables("analytics"))
	assert.Equal(t, 2, f.Mutations())
}

func TestFake_partitions(t *testing.T) {
	f := New()
	f.AddDatabase("db")
	fakeapitest.MustCall(t, f, "createTable", map[string]any{"DatabaseName": "db", "TableInput": tableInputOf("t", "a")})

	fakeapitest.MustCall(t, f, "createPartition", map[string]any{"DatabaseName": "db", "TableName": "t", "PartitionInput": partitionInput("1")})
	_, err := fakeapitest.Call(t, f, "createPartition", map[string]any{"DatabaseName": "db", "TableName": "t", "PartitionInput": partitionInput("1")})
	fakeapitest.CheckErr(t, err, ErrAlreadyExists, "Partition already exists.")
	_, err = fakeapitest.Call(t, f, "createPartition", map[string]any{"DatabaseName": "db", "TableName": "nope", "PartitionInput": partitionInput("1")})
	fakeapitest.CheckErr(t, err, ErrEntityNotFound, "Table nope not found.")
	_, err = fakeapitest.Call(t, f, "createPartition", map[string]any{"DatabaseName": "db", "TableName": "t", "PartitionInput": map[string]any{"Values": []any{"1", "2"}}})
	fakeapitest.CheckErr(t, err, ErrInvalidInput, "partition keys")

	res := fakeapitest.MustCall(t, f, "batchCreatePartition", map[string]any{"DatabaseName": "db", "TableName": "t",
		"PartitionInputList": []any{partitionInput("1"), partitionInput("2")}})
	assert.Equal(t, []any{map[string]any{
		"PartitionValues": []any{"1"},
		"ErrorDetail":     map[string]any{"ErrorCode": "AlreadyExistsException", "ErrorMessage": "Partition already exists."},
	}}, res["Errors"])
	parts := f.Partitions("db", "t")
	require.Len(t, parts, 2)
	assert.Equal(t, []string{"2"}, parts[1].Values)

	var tooMany []any
	for range MaxBatchPartitions + 1 {
		tooMany = append(tooMany, partitionInput("x"))
	}
	_, err = fakeapitest.Call(t, f, "batchCreatePartition", map[string]any{"DatabaseName": "db", "TableName": "t", "PartitionInputList": tooMany})
	fakeapitest.CheckErr(t, err, ErrInvalidCall, "1 to 100")
}

func TestFake_refusesWhatTheSDKRefuses(t *testing.T) {
	f := New()
	f.AddDatabase("db")
	for name, args := range map[string]map[string]any{
		"no TableInput":  {"DatabaseName": "db"},
		"no table name":  {"DatabaseName": "db", "TableInput": map[string]any{}},
		"untyped column": {"DatabaseName": "db", "TableInput": map[string]any{"Name": "t", "StorageDescriptor": map[string]any{"Columns": []any{map[string]any{"Name": "a"}}}}},
		"no database":    {"TableInput": tableInputOf("t")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := fakeapitest.Call(t, f, "createTable", args)
			fakeapitest.CheckErr(t, err, ErrInvalidCall, "")
		})
	}
	f.AddFault(Fault{Action: "createTable", Error: "Glue.InternalServiceException", Cause: "boom"})
	_, err := fakeapitest.Call(t, f, "createTable", map[string]any{"DatabaseName": "db", "TableInput": tableInputOf("t")})
	fakeapitest.CheckErr(t, err, "Glue.InternalServiceException", "boom")
}
