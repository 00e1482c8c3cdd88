# SPDX-License-Identifier: LGPL-2.1-or-later
# `leco serve` (tools/serve/): built into the leco CLI when libmicrohttpd is found.
# Included from tools/CMakeLists.txt (the generated assets.c must be made in the directory of
# the target that uses it); sets LECO_SERVE_SOURCES, LECO_SERVE_LIBS.
pkg_check_modules(MHD IMPORTED_TARGET libmicrohttpd>=0.9.70)
if(NOT MHD_FOUND)
	set(LECO_SERVE OFF CACHE INTERNAL "leco serve is built")
	message(WARNING "libmicrohttpd not found (Debian: libmicrohttpd-dev): leco serve not built")
	return()
endif()
set(LECO_SERVE ON CACHE INTERNAL "leco serve is built")
find_package(Threads REQUIRED)

set(page ${CMAKE_CURRENT_LIST_DIR}/page)
set(assets "/|html|${page}/index.html,/app.js|javascript|${page}/app.js,/style.css|css|${page}/style.css,/favicon.svg|svg+xml|${page}/favicon.svg")
set(out ${CMAKE_CURRENT_BINARY_DIR}/serve_assets.c)
add_custom_command(OUTPUT ${out}
	COMMAND ${CMAKE_COMMAND} -DOUT=${out} "-DASSETS=${assets}"
		-P ${CMAKE_CURRENT_LIST_DIR}/embed.cmake
	DEPENDS ${page}/index.html ${page}/app.js ${page}/style.css
		${page}/favicon.svg ${CMAKE_CURRENT_LIST_DIR}/embed.cmake
	COMMENT "Embedding the leco serve page" VERBATIM)

set(LECO_SERVE_SOURCES ${out}
	${CMAKE_CURRENT_LIST_DIR}/serve.c ${CMAKE_CURRENT_LIST_DIR}/http.c
	${CMAKE_CURRENT_LIST_DIR}/api.c ${CMAKE_CURRENT_LIST_DIR}/metrics.c
	${CMAKE_CURRENT_LIST_DIR}/sse.c ${CMAKE_CURRENT_LIST_DIR}/token.c
	${CMAKE_CURRENT_LIST_DIR}/parse.c ${CMAKE_CURRENT_LIST_DIR}/history.c)
set(LECO_SERVE_LIBS PkgConfig::MHD Threads::Threads)
set(LECO_SERVE_INCLUDE ${CMAKE_CURRENT_LIST_DIR})
