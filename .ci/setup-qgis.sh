#!/usr/bin/env bash
# Install what tests/test_qgis.py needs: Debian's QGIS with its Python bindings (run by
# /usr/bin/python3, offscreen), gdal-bin for ogrinfo, and a CJK font so Chinese labels render
# in the layout PNG: WenQuanYi Micro Hei, which the project then names for every text (it is the
# first of autocity_gis.qgis.fonts.CJK_FAMILIES present here; the tests check fc-list has it). Idempotent and quiet; measured on Debian 12: ~265 MB download,
# ~1.2 GB on disk, ~40 s with a warm mirror.
set -euo pipefail

pkgs=(qgis python3-qgis gdal-bin fonts-wqy-microhei)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

QT_QPA_PLATFORM=offscreen /usr/bin/python3 -c "import qgis.core" 2>/dev/null \
    || { echo "setup-qgis: PyQGIS not importable by /usr/bin/python3" >&2; exit 1; }
command -v ogrinfo >/dev/null || { echo "setup-qgis: ogrinfo missing" >&2; exit 1; }
