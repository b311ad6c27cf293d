# Warning flags for every vsc target; VSC_WERROR turns them into errors (CI sets it).
add_compile_options(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
                    -Wno-unused-parameter)
add_compile_definitions(_POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
if(VSC_WERROR)
  add_compile_options(-Werror)
endif()

# Generated code is not ours to lint: relax the flags for it.
function(vsc_generated_source_flags)
  set_source_files_properties(${ARGN} PROPERTIES COMPILE_OPTIONS
    "-Wno-unused-variable;-Wno-unused-parameter;-Wno-missing-prototypes;-Wno-shadow;-Wno-unused-but-set-variable;-Wno-implicit-fallthrough;-Wno-unused-function")
endfunction()
