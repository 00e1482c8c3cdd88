# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs at install time (from dist/CMakeLists.txt's install(CODE)): generates the
# files that carry installed paths, so `cmake --install BUILD --prefix P` gets P
# right and DESTDIR stays out of them. Inputs are set by the caller.
foreach(v LIBDIR INCLUDEDIR SBINDIR BINDIR)
	if(IS_ABSOLUTE "${LECO_INSTALL_${v}}")
		set(LECO_FULL_${v} "${LECO_INSTALL_${v}}")
	else()
		set(LECO_FULL_${v} "${CMAKE_INSTALL_PREFIX}/${LECO_INSTALL_${v}}")
	endif()
endforeach()
if(IS_ABSOLUTE "${LECO_INSTALL_LIBDIR}")
	set(LECO_PC_LIBDIR "${LECO_INSTALL_LIBDIR}")
else()
	set(LECO_PC_LIBDIR "\${exec_prefix}/${LECO_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${LECO_INSTALL_INCLUDEDIR}")
	set(LECO_PC_INCLUDEDIR "${LECO_INSTALL_INCLUDEDIR}")
else()
	set(LECO_PC_INCLUDEDIR "\${prefix}/${LECO_INSTALL_INCLUDEDIR}")
endif()
set(LECO_LOAD_PATH "${LECO_FULL_SBINDIR}/leco-load")
configure_file("${LECO_DIST_SRC}/leco.pc.in" "${LECO_DIST_BIN}/leco.pc" @ONLY)
configure_file("${LECO_DIST_SRC}/leco.service.in" "${LECO_DIST_BIN}/leco.service" @ONLY)
set(LECO_BIN_PATH "${LECO_FULL_BINDIR}/leco")
# leco record's and leco serve's units (dist/leco-record.service.in, dist/leco-serve.service.in)
configure_file("${LECO_DIST_SRC}/leco-record.service.in" "${LECO_DIST_BIN}/leco-record.service"
	@ONLY)
configure_file("${LECO_DIST_SRC}/leco-serve.service.in" "${LECO_DIST_BIN}/leco-serve.service" @ONLY)
