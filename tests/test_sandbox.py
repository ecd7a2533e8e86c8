"""The GDAL sandbox (issue #9): indirection files are refused before GDAL opens them, GDAL
makes no network request while reading layers, and layer paths are plain files in the folder.

A local HTTP server on 127.0.0.1 records every request; each test names its own URL so that
GDAL's in-process caches cannot hide a request. Controls show that the payloads are real: the
same file opened by plain pyogrio does reach the server or write the file.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner
from common import WEST, component_frame
from hostile.corpus import component, two_cells, write_recipe

from autocity_gis import _gdal
from autocity_gis._errors import InputError, LayerError, RecipeError
from autocity_gis.cli import cli
from autocity_gis.layers import read_layer
from autocity_gis.limits import Limits
from autocity_gis.recipe import LayerSource, load_recipe


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'{"type":"FeatureCollection","features":[]}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


class Server:
    def __init__(self) -> None:
        self.hits: list[str] = []
        handler = type("Handler", (_Recorder,), {"hits": self.hits})
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    # A machine whose proxy settings exempt localhost must not get through either.
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    srv = Server()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def _one_line(exc: pytest.ExceptionInfo[BaseException], path: Path) -> str:
    text = str(exc.value)
    assert "\n" not in text
    assert str(path) in text or path.name in text
    return text


def _vrt(src: str, sql: str | None = None) -> str:
    sql_el = f"<SrcSQL dialect='SQLITE'>{sql}</SrcSQL>" if sql else ""
    return (
        "<OGRVRTDataSource><OGRVRTLayer name='x'>"
        f"<SrcDataSource>{src}</SrcDataSource>{sql_el}"
        "</OGRVRTLayer></OGRVRTDataSource>"
    )


# -- indirection files -------------------------------------------------------------------


def test_vrt_reaching_the_network_is_refused_and_requests_nothing(
    tmp_path: Path, server: Server
) -> None:
    vrt = tmp_path / "zones.vrt"
    vrt.write_text(_vrt(f"/vsicurl/{server.url('vrt-sandboxed.geojson')}"))
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=vrt, root=tmp_path))
    text = _one_line(exc, vrt)
    assert "is a GDAL VRT, which can point at other files, run SQL or reach the network" in text
    assert "convert it to a GeoPackage" in text
    assert server.hits == []


def test_vrt_control_reaches_the_server_without_the_sandbox(tmp_path: Path, server: Server) -> None:
    # The payload is real: plain GDAL fetches it (this is what the sandbox prevents).
    vrt = tmp_path / "zones.vrt"
    vrt.write_text(_vrt(f"/vsicurl/{server.url('vrt-control.geojson')}"))
    with contextlib.suppress(Exception):  # the request is what matters, not the answer
        pyogrio.read_info(vrt)
    assert any("vrt-control" in h for h in server.hits)


def test_vrt_with_vacuum_into_writes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "recipe"
    folder.mkdir()
    two_cells(folder)
    target = tmp_path / "stolen.gpkg"
    vrt = folder / "zones.vrt"
    vrt.write_text(_vrt("parts.gpkg", f"VACUUM INTO '{target}'"))
    recipe = write_recipe(folder, [component("w", "zones.vrt")])
    source = load_recipe(recipe).components[0].source
    assert source is not None
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(LayerError, match="is a GDAL VRT"):
        read_layer(source)
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("name", ["zones.geojson", "zones.kml", "zones.csv", "zones.txt"])
def test_vrt_under_another_name_is_refused(tmp_path: Path, server: Server, name: str) -> None:
    path = tmp_path / name
    path.write_text("<?xml version='1.0'?>\n" + _vrt(f"/vsicurl/{server.url('renamed.csv')}"))
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path, root=tmp_path))
    assert "is a GDAL VRT" in _one_line(exc, path)
    assert server.hits == []


@pytest.mark.parametrize("name", ["pipeline.gdalg.json", "pipeline.json"])
def test_gdalg_pipeline_is_refused(tmp_path: Path, server: Server, name: str) -> None:
    path = tmp_path / name
    path.write_text(
        json.dumps(
            {
                "type": "gdal_streamed_alg",
                "command_line": f"gdal vector read /vsicurl/{server.url('gdalg.geojson')}",
            }
        )
    )
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path, root=tmp_path))
    assert "is a GDAL pipeline (.gdalg.json), which runs commands" in _one_line(exc, path)
    assert server.hits == []


def test_geojson_crs_link_is_not_fetched(tmp_path: Path, server: Server) -> None:
    collection = json.loads(component_frame([{"id": "w", "geometry": WEST}]).to_json())
    collection["crs"] = {
        "type": "link",
        "properties": {"href": server.url("geojson-crs"), "type": "proj4"},
    }
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(collection))
    try:
        layer = read_layer(LayerSource(path=path, root=tmp_path, crs="EPSG:4326"))
    except InputError:
        pass  # refusing the file is fine; asking the server is not
    else:
        assert any("refused" in w and "geojson-crs" in w for w in layer.warnings)
    assert server.hits == []
    # The configuration is restored: the sandbox leaves no lasting global state.
    assert pyogrio.get_gdal_config_option("GDAL_HTTP_PROXY") is None


def test_geojson_crs_link_control_reaches_the_server(tmp_path: Path, server: Server) -> None:
    collection = json.loads(component_frame([{"id": "w", "geometry": WEST}]).to_json())
    collection["crs"] = {
        "type": "link",
        "properties": {"href": server.url("geojson-control"), "type": "proj4"},
    }
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(collection))
    with contextlib.suppress(Exception):
        pyogrio.read_info(path)
    assert any("geojson-control" in h for h in server.hits)


def _linked_geojson(tmp_path: Path, href: str) -> Path:
    collection = json.loads(component_frame([{"id": "w", "geometry": WEST}]).to_json())
    collection["crs"] = {"type": "link", "properties": {"href": href, "type": "proj4"}}
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(collection))
    return path


@pytest.mark.skipif(not _gdal.network_guarded(), reason="GDAL not reachable through ctypes")
@pytest.mark.parametrize("guarded", [True, False])
def test_fetch_refusal_is_per_thread_and_thread_guarded_extends_it(
    tmp_path: Path, server: Server, guarded: bool
) -> None:
    # GeoJSON is read on two threads (read_info beside the read): GDAL keeps its fetch
    # callback per thread, so the second thread must push it too (the control shows why).
    from autocity_gis._gdal_network import thread_guarded

    path = _linked_geojson(tmp_path, server.url("thread-crs"))

    def open_on_a_thread() -> None:
        guard = thread_guarded() if guarded else contextlib.nullcontext()
        with guard, contextlib.suppress(Exception):
            pyogrio.read_info(path)

    with _gdal.sandbox() as tried:
        worker = threading.Thread(target=open_on_a_thread)
        worker.start()
        worker.join()
    assert any("thread-crs" in url for url in tried) == guarded
    # Unguarded, the other thread's fetch reaches the server despite the sandbox's settings.
    assert (server.hits == []) == guarded


def test_geojson_read_on_two_threads_reports_the_refused_link_once(
    tmp_path: Path, server: Server
) -> None:
    raw = _gdal.read_file(_linked_geojson(tmp_path, server.url("two-threads")))
    assert len(raw.frame) == 1
    assert sum("two-threads" in note and "refused" in note for note in raw.notes) == 1
    assert server.hits == []


def test_geojson_over_the_feature_limit_is_refused_on_two_threads(tmp_path: Path) -> None:
    path = tmp_path / "many.geojson"
    frame = component_frame([{"id": f"w{i}", "geometry": WEST} for i in range(5)])
    path.write_text(frame.to_json())
    with pytest.raises(LayerError) as exc:
        _gdal.read_file(path, limits=Limits(max_features=3))
    assert "5" in _one_line(exc, path)


def test_geojson_read_capped_by_its_size_reads_every_feature(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A size cap too low for the file (as if its features were smaller than any real one):
    # the threaded read is cut short, and read again once the count is known.
    path = tmp_path / "five.geojson"
    frame = component_frame([{"id": f"w{i}", "geometry": WEST} for i in range(5)])
    path.write_text(frame.to_json())
    monkeypatch.setattr(_gdal, "_MIN_FEATURE_BYTES", path.stat().st_size // 2)
    assert _gdal._size_cap(path, str(path), Limits()) == 3
    written = [f["properties"]["id"] for f in json.loads(path.read_text())["features"]]
    assert _gdal.read_file(path).frame["id"].tolist() == written == [f"w{i}" for i in range(5)]


def test_gml_with_remote_schema_is_refused(tmp_path: Path, server: Server) -> None:
    path = tmp_path / "zones.gml"
    path.write_text(
        "<?xml version='1.0'?><ogr:FeatureCollection "
        "xmlns:ogr='http://ogr.maptools.org/' xmlns:gml='http://www.opengis.net/gml' "
        "xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' "
        f"xsi:schemaLocation='http://ogr.maptools.org/ {server.url('schema.xsd')}'>"
        "</ogr:FeatureCollection>"
    )
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path, root=tmp_path))
    assert "is GML, whose schemas and links GDAL may fetch" in _one_line(exc, path)
    assert server.hits == []


def test_kml_network_link_is_not_followed(tmp_path: Path, server: Server) -> None:
    ring = " ".join(f"{x},{y}" for x, y in WEST.exterior.coords)
    path = tmp_path / "zones.kml"
    path.write_text(
        "<?xml version='1.0'?><kml xmlns='http://www.opengis.net/kml/2.2'><Document>"
        f"<NetworkLink><Link><href>{server.url('linked.kml')}</href></Link></NetworkLink>"
        "<Placemark><name>w</name><Polygon><outerBoundaryIs><LinearRing><coordinates>"
        f"{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        "</Document></kml>"
    )
    layer = read_layer(LayerSource(path=path, root=tmp_path))
    assert len(layer.frame) == 1
    assert server.hits == []


def test_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zones.sqlite"
    pyogrio.write_dataframe(component_frame([{"id": "w", "geometry": WEST}]), path, "SQLite")
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path, root=tmp_path))
    assert "is an SQLite database (not a GeoPackage)" in _one_line(exc, path)


def test_cli_refuses_a_vrt_with_exit_2_and_one_line(tmp_path: Path, server: Server) -> None:
    (tmp_path / "zones.vrt").write_text(_vrt(f"/vsicurl/{server.url('cli.geojson')}"))
    recipe = write_recipe(tmp_path, [component("w", "zones.vrt")])
    result = CliRunner().invoke(cli, ["validate", "-q", "--recipe", str(recipe)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "zones.vrt: is a GDAL VRT" in lines[0]
    assert server.hits == []


# -- layer names ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["nowhere", "parts; DROP TABLE parts", "SELECT * FROM parts"])
def test_layer_name_must_be_a_listed_layer(tmp_path: Path, name: str) -> None:
    path = two_cells(tmp_path)
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path, layer_name=name, root=tmp_path))
    text = _one_line(exc, path)
    assert "has no layer" in text and "(it has: 'parts')" in text


# -- zipped layers --------------------------------------------------------------------------


def _zip_shapefile(folder: Path, name: str = "parts.zip") -> Path:
    shp = two_cells(folder, "parts.shp")
    archive = folder / name
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for sidecar in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
            zf.write(shp.with_suffix(sidecar), "parts" + sidecar)
            shp.with_suffix(sidecar).unlink()
    return archive


def test_zipped_shapefile_in_the_folder_reads(tmp_path: Path) -> None:
    _zip_shapefile(tmp_path)
    recipe = write_recipe(tmp_path, [component("w", "parts.zip", filter_id="w")])
    source = load_recipe(recipe).components[0].source
    assert source is not None
    assert read_layer(source).frame["id"].tolist() == ["w"]


def test_zip_from_outside_a_recipe_folder_is_refused(tmp_path: Path) -> None:
    archive = _zip_shapefile(tmp_path)
    with pytest.raises(LayerError, match="zipped layers are read only from inside"):
        read_layer(LayerSource(path=archive, filter={"id": "w"}))


def test_zip_bomb_is_refused_by_its_real_size(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("parts.geojson", b" " * 3_000_000)  # 3 MB of blanks, ~3 kB zipped
    assert archive.stat().st_size < 50_000
    limits = Limits(max_unzipped_bytes=1_000_000)
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=archive, root=tmp_path), limits=limits)
    text = _one_line(exc, archive)
    assert "more than the limit of 1,000,000" in text
    assert "AUTOCITY_GIS_MAX_UNZIPPED_BYTES" in text


@pytest.mark.parametrize("member", ["zones.vrt", "inner.zip", "run.sh"])
def test_zip_holding_other_things_is_refused(tmp_path: Path, member: str) -> None:
    archive = tmp_path / "parts.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(member, _vrt("/etc/passwd"))
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=archive, root=tmp_path))
    assert f"holds '{member}'" in _one_line(exc, archive)


def test_zip_member_with_vrt_content_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "parts.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("parts.xml", _vrt("/etc/passwd"))
    with pytest.raises(LayerError, match="is a GDAL VRT"):
        read_layer(LayerSource(path=archive, root=tmp_path))


# -- layer paths ----------------------------------------------------------------------------


def _problem(tmp_path: Path, layer: str) -> str:
    two_cells(tmp_path)
    recipe = write_recipe(tmp_path, [component("w", layer, filter_id="w")])
    with pytest.raises(RecipeError) as exc:
        load_recipe(recipe)
    text = str(exc.value)
    assert "\n" not in text and str(recipe) in text
    return text


@pytest.mark.parametrize(
    ("layer", "expect"),
    [
        ("parts\x00.gpkg", "contains a NUL byte"),
        ("x" * 5000 + ".gpkg", "is longer than file systems allow"),
        ("/vsicurl/http://127.0.0.1:9/x.geojson", "is a URL or GDAL connection string"),
        ("http://127.0.0.1:9/x.geojson", "is a URL or GDAL connection string"),
        ("CSV:parts.csv", "is a URL or GDAL connection string"),
        ("GPKG:parts.gpkg:parts", "is a URL or GDAL connection string"),
        ("zip+https://example.org/x.zip", "is a URL or GDAL connection string"),
        ("/etc/passwd", "leaves the recipe's folder"),
    ],
)
def test_bad_layer_paths_get_one_truthful_line(tmp_path: Path, layer: str, expect: str) -> None:
    text = _problem(tmp_path, layer)
    assert expect in text
    assert len(text) < 600  # a 5,000-character name is shown shortened


def test_symlink_loop_is_named(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b.gpkg", tmp_path / "a.gpkg")
    os.symlink(tmp_path / "a.gpkg", tmp_path / "b.gpkg")
    assert "layer file 'a.gpkg' is a symbolic link loop" in _problem(tmp_path, "a.gpkg")


def test_symlink_leaving_the_folder_is_refused(tmp_path: Path) -> None:
    inner = tmp_path / "recipe"
    inner.mkdir()
    two_cells(tmp_path)
    os.symlink(tmp_path / "parts.gpkg", inner / "link.gpkg")
    assert "leaves the recipe's folder" in _problem(inner, "link.gpkg")


def test_folder_is_not_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "zones.gpkg").mkdir()
    text = _problem(tmp_path, "zones.gpkg")
    assert "layer file 'zones.gpkg' is a folder, not a regular file" in text
    assert "does not exist" not in text


def test_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "zones.geojson")
    text = _problem(tmp_path, "zones.geojson")
    assert "is a named pipe (FIFO), not a regular file" in text


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_device_is_not_a_regular_file(tmp_path: Path) -> None:
    import stat

    os.mknod(tmp_path / "zones.geojson", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero
    assert "is a device, not a regular file" in _problem(tmp_path, "zones.geojson")


def test_file_geodatabase_folder_is_a_layer(tmp_path: Path) -> None:
    frame = component_frame([{"id": "w", "geometry": WEST}])
    pyogrio.write_dataframe(frame, tmp_path / "zones.gdb", driver="OpenFileGDB", layer="zones")
    recipe = write_recipe(tmp_path, [component("w", "zones.gdb", filter_id="w")])
    source = load_recipe(recipe).components[0].source
    assert source is not None
    assert read_layer(source).frame["id"].tolist() == ["w"]


def test_read_layer_rechecks_the_file_type(tmp_path: Path) -> None:
    # A LayerSource built by hand (not from a recipe) gets the same truthful answer.
    os.mkfifo(tmp_path / "zones.geojson")
    with pytest.raises(LayerError, match="is a named pipe"):
        read_layer(LayerSource(path=tmp_path / "zones.geojson"))


def test_allowed_drivers_are_all_installed_or_optional() -> None:
    installed = set(pyogrio.list_drivers())
    assert set(_gdal.ALLOWED_DRIVERS) - installed <= {"Parquet"}
    assert not {"OGR_VRT", "GDALG", "GML", "SQLite", "WFS", "HTTP"} & set(_gdal.ALLOWED_DRIVERS)


def test_mapinfo_seamless_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zones.tab"
    path.write_text(
        "!table\n!version 300\n!charset WindowsLatin1\n\nDefinition Table\n  Type SEAMLESS\n"
        "  Fields 2\n    Table Char (254) ;\n    Description Char (254) ;\n"
    )
    with pytest.raises(LayerError) as exc:
        read_layer(LayerSource(path=path, root=tmp_path))
    assert "is a MapInfo seamless table or view" in _one_line(exc, path)
