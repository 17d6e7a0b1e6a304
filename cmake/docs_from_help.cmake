# docs_from_help.cmake — the man pages and the bash completion of the synack
# command, made from the same text as its --help (so they cannot disagree).
#   cmake -DSYNACK=path/to/synack -DOUT=dir -DVERSION=x.y.z -P docs_from_help.cmake
# Writes OUT/synack.1, OUT/synack-<command>.1 for each command, and
# OUT/synack.bash (bash completion: commands, each command's options, lab
# scenario names, file names where a file is expected).
set(commands lab script serve connect get bulk trace relay)

function(help_of cmd out)
  if(cmd STREQUAL "")
    execute_process(COMMAND ${SYNACK} help OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  else()
    execute_process(COMMAND ${SYNACK} ${cmd} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  endif()
  if(NOT rc EQUAL 0 OR text STREQUAL "")
    message(FATAL_ERROR "synack ${cmd} --help failed (${rc})")
  endif()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

# Text as roff: backslashes and hyphens escaped, no line may start a request.
function(roff_escape text out)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

help_of("" top)
set(see "")
foreach(cmd ${commands})
  string(APPEND see "synack\\-${cmd}(1), ")
endforeach()
string(REGEX REPLACE ", $" "" see "${see}")

# synack.1
roff_escape("${top}" body)
file(WRITE ${OUT}/synack.1
".TH SYNACK 1 \"\" \"synack ${VERSION}\" \"synack manual\"\n"
".SH NAME\nsynack \\- a user\\-space TCP/IPv4 stack: simulated network, packet scripts, capture reader, TUN host\n"
".SH SYNOPSIS\n.B synack\n.I command\n[options]\n"
".SH DESCRIPTION\nThe text of\n.BR \"synack help\" :\n.PP\n.nf\n${body}.fi\n"
".SH SEE ALSO\n${see}\n")

set(completion_cases "")
foreach(cmd ${commands})
  help_of(${cmd} text)
  # The one-line summary from the top-level list ("  lab      play ...").
  string(REGEX MATCH "\n  ${cmd} +([^\n]*)" m "${top}")
  set(summary "${CMAKE_MATCH_1}")
  roff_escape("${summary}" summary)
  # SYNOPSIS: the usage line(s) up to the first blank line.
  string(REGEX MATCH "^usage: ([^\n]*(\n   +[^\n]+)*)" m "${text}")
  set(synopsis "${CMAKE_MATCH_1}")
  string(LENGTH "${m}" mlen)
  string(SUBSTRING "${text}" ${mlen} -1 rest)
  string(REGEX REPLACE "^\n+" "" rest "${rest}")
  roff_escape("${synopsis}" synopsis)
  roff_escape("${rest}" rest)
  string(TOUPPER "${cmd}" ucmd)
  file(WRITE ${OUT}/synack-${cmd}.1
  ".TH SYNACK\\-${ucmd} 1 \"\" \"synack ${VERSION}\" \"synack manual\"\n"
  ".SH NAME\nsynack\\-${cmd} \\- ${summary}\n"
  ".SH SYNOPSIS\n.nf\n${synopsis}\n.fi\n"
  ".SH DESCRIPTION\nThe text of\n.BR \"synack ${cmd} \\-\\-help\" :\n.PP\n.nf\n${rest}.fi\n"
  ".SH SEE ALSO\nsynack(1)\n")
  string(REGEX MATCHALL "(^|[][ ,])(--[a-z][a-z0-9_-]*|-[a-zA-Z])" opts "${text}")
  string(REGEX REPLACE "[][ ,]" "" opts "${opts}")
  list(REMOVE_DUPLICATES opts)
  list(JOIN opts " " opts)
  string(APPEND completion_cases "        ${cmd}) opts=\"${opts}\" ;;\n")
endforeach()

list(JOIN commands " " command_words)
file(WRITE ${OUT}/synack.bash
"# bash completion for synack, generated from `synack <command> --help`.
_synack() {
    local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd opts
    if [ \"\$COMP_CWORD\" -eq 1 ]; then
        COMPREPLY=(\$(compgen -W \"${command_words} help version --help --version\" -- \"\$cur\"))
        return
    fi
    cmd=\${COMP_WORDS[1]}
    case \"\$prev\" in
        --scenario)
            [ \"\$cmd\" = lab ] && COMPREPLY=(\$(compgen -W \"\$(\"\${COMP_WORDS[0]}\" lab --list 2>/dev/null | awk 'NR > 1 { print \$1 }')\" -- \"\$cur\"))
            return ;;
        --pcap|--svg|--html|--out|-o)
            COMPREPLY=(\$(compgen -f -- \"\$cur\"))
            return ;;
        --tun)
            COMPREPLY=(\$(compgen -W \"\$(ls /sys/class/net 2>/dev/null)\" -- \"\$cur\"))
            return ;;
    esac
    case \"\$cmd\" in
${completion_cases}        *) return ;;
    esac
    if [[ \$cur == -* ]]; then
        COMPREPLY=(\$(compgen -W \"\$opts\" -- \"\$cur\"))
    elif [ \"\$cmd\" = script ]; then
        COMPREPLY=(\$(compgen -f -X '!*.pkt' -- \"\$cur\") \$(compgen -d -- \"\$cur\"))
    elif [ \"\$cmd\" = trace ]; then
        COMPREPLY=(\$(compgen -f -X '!*.@(pcap|pcapng|cap)' -- \"\$cur\") \$(compgen -d -- \"\$cur\"))
    fi
}
complete -F _synack synack
")
