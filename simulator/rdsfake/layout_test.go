package rdsfake

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestExportLayout(t *testing.T) {
	const uuid = `[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`
	demoKeys := func(root string) []string {
		return []string{
			root + "export_info_EXP.json",
			root + "export_tables_info_EXP_from_1_to_3.json",
			root + "postgres/public.city/1/_SUCCESS",
			root + "postgres/public.city/1/part-00000-" + uuid + "-c000.gz.parquet",
			root + "postgres/public.country/1/_SUCCESS",
			root + "postgres/public.country/1/part-00000-" + uuid + "-c000.gz.parquet",
			root + "postgres/public.countrylanguage/1/_SUCCESS",
			root + "postgres/public.countrylanguage/1/part-00000-" + uuid + "-c000.gz.parquet",
		}
	}
	tests := []struct {
		name       string
		prefix     string
		exportOnly []any
		plan       ExportPlan
		wantKeys   []string // regular expressions, in listing order
		wantRoot   string
	}{
		{name: "no prefix", plan: ExportPlan{Tables: DemoTables()}, wantRoot: "EXP/", wantKeys: demoKeys("EXP/")},
		{name: "prefix", prefix: "exports/daily", plan: ExportPlan{Tables: DemoTables()}, wantRoot: "exports/daily/EXP/", wantKeys: demoKeys("exports/daily/EXP/")},
		{name: "prefix with trailing slash", prefix: "exports/daily/", plan: ExportPlan{Tables: DemoTables()}, wantRoot: "exports/daily/EXP/", wantKeys: demoKeys("exports/daily/EXP/")},
		{name: "ExportOnly", exportOnly: []any{"postgres.public.city"}, plan: ExportPlan{Tables: DemoTables()}, wantRoot: "EXP/",
			wantKeys: []string{"EXP/export_info_EXP.json", "EXP/export_tables_info_EXP_from_1_to_1.json",
				"EXP/postgres/public.city/1/_SUCCESS", "EXP/postgres/public.city/1/part-00000-" + uuid + "-c000.gz.parquet"}},
		{name: "declared objects: older layout, several batches, odd characters", prefix: "p",
			plan: ExportPlan{Objects: []DeclaredObject{
				{Key: "shop/shop.orders/part-00000-a.gz.parquet", Size: 200 << 30},
				{Key: "shop/shop.orders/2/part-00000-b.gz.parquet", Size: 7},
				{Key: "shop/shop.orders/1/part-00003-b.gz.parquet", Size: 7},
				{Key: "日本/s.100%+&$ x/1/part-00000-c.gz.parquet", Size: 1},
			}},
			wantRoot: "p/EXP/",
			wantKeys: []string{"p/EXP/export_info_EXP.json", `p/EXP/shop/shop\.orders/1/part-00003-b\.gz\.parquet`,
				`p/EXP/shop/shop\.orders/2/part-00000-b\.gz\.parquet`, `p/EXP/shop/shop\.orders/part-00000-a\.gz\.parquet`,
				`p/EXP/日本/s\.100%\+&\$ x/1/part-00000-c\.gz\.parquet`}},
		{name: "path characters replaced", plan: ExportPlan{Tables: []Table{{Database: "my db", Schema: `a"b`, Table: "c`d\\e", Rows: []map[string]any{{"x": 1.0}}}}},
			wantRoot: "EXP/",
			wantKeys: []string{"EXP/export_info_EXP.json", "EXP/export_tables_info_EXP_from_1_to_1.json",
				"EXP/my_db/a_b.c_d_e/1/_SUCCESS", "EXP/my_db/a_b.c_d_e/1/part-00000-" + uuid + "-c000.gz.parquet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, s3 := newFake(t)
			f.SetPlan(clusterSnap, tt.plan)
			args := startArgs("EXP", clusterSnap)
			if tt.prefix != "" {
				args["S3Prefix"] = tt.prefix
			}
			if tt.exportOnly != nil {
				args["ExportOnly"] = tt.exportOnly
			}
			mustCall(t, f, "startExportTask", args)
			task := describe(t, f, "EXP")
			if task["Status"] != "COMPLETE" {
				t.Fatalf("task %v", task)
			}
			objs := s3.Objects("export", "")
			if len(objs) != len(tt.wantKeys) {
				t.Fatalf("%d objects, want %d: %v", len(objs), len(tt.wantKeys), objs)
			}
			for i, o := range objs {
				if !regexp.MustCompile("^" + tt.wantKeys[i] + "$").MatchString(o.Key) {
					t.Errorf("key %d = %q, want %s", i, o.Key, tt.wantKeys[i])
				}
				if o.SSEKMSKeyID != key {
					t.Errorf("%s not encrypted with the bucket key", o.Key)
				}
				if strings.HasSuffix(o.Key, "_SUCCESS") && (!o.HasContent || o.Size != 0) {
					t.Errorf("%s: %+v", o.Key, o)
				}
			}
			var info map[string]any
			data, err := s3.Read("export", tt.wantRoot+"export_info_EXP.json")
			if err != nil || json.Unmarshal(data, &info) != nil {
				t.Fatalf("export_info: %v %s", err, data)
			}
			wantInfo := map[string]any{"exportTaskIdentifier": "EXP", "sourceArn": clusterSnap, "status": "COMPLETE", "s3Bucket": "export",
				"s3Prefix": tt.prefix, "exportedFilesPath": strings.TrimSuffix(tt.wantRoot, "/"), "percentProgress": 100.0,
				"snapshotTime": "2026-11-24T03:04:58.145Z", "iamRoleArn": role, "kmsKeyId": key}
			for k, v := range wantInfo {
				if info[k] != v {
					t.Errorf("export_info %s = %v, want %v", k, info[k], v)
				}
			}
		})
	}
}

func TestExportParquetReadBack(t *testing.T) {
	f, s3 := newFake(t)
	f.SetPlan(clusterSnap, ExportPlan{Tables: DemoTables()})
	mustCall(t, f, "startExportTask", startArgs("EXP", clusterSnap))
	describe(t, f, "EXP")
	for _, want := range DemoTables() {
		objs := s3.Objects("export", "EXP/postgres/public."+want.Table+"/1/part-")
		if len(objs) != 1 || !objs[0].HasContent {
			t.Fatalf("%s: objects %v", want.Table, objs)
		}
		data, err := s3.Read("export", objs[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		checkGzip(t, data)
		cols, rows, err := ReadParquet(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cols, want.Columns) || !reflect.DeepEqual(rows, want.Rows) {
			t.Fatalf("%s: columns %v rows %v", want.Table, cols, rows)
		}
	}
	var info struct {
		PerTableStatus []struct {
			Target, Status string
			SizeGB         float64
			SchemaMetadata struct {
				OriginalTypeMappings []map[string]string
			}
		}
	}
	data, _ := s3.Read("export", "EXP/export_tables_info_EXP_from_1_to_3.json")
	if err := json.Unmarshal(data, &info); err != nil || len(info.PerTableStatus) != 3 ||
		info.PerTableStatus[0].Target != "postgres.public.city" || info.PerTableStatus[0].Status != "COMPLETE" || info.PerTableStatus[0].SizeGB <= 0 {
		t.Fatalf("tables info %v %s", err, data)
	}
	// the column types as the catalog reads them: database type and Parquet type
	if got := info.PerTableStatus[0].SchemaMetadata.OriginalTypeMappings; len(got) != 5 ||
		!reflect.DeepEqual(got[0], map[string]string{"columnName": "id", "originalType": "integer", "expectedExportedType": "int32"}) ||
		!reflect.DeepEqual(got[1], map[string]string{"columnName": "name", "originalType": "text", "expectedExportedType": "binary (UTF8)"}) {
		t.Fatalf("city type mappings %v", got)
	}
}
