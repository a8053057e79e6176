/*
 * Whether jansson ran out of memory. Its parser reports a failed allocation as a
 * syntax error (or drops the member it was adding), and its dumper can drop a key and
 * still succeed (jansson 2.14): a state record must not be called corrupt, nor written
 * incomplete, for that. pt_json_oom_begin() routes jansson's allocations through a
 * counter (for the whole process, from then on); pt_json_oom() says whether one
 * failed in this thread since.
 */
#ifndef PT_HOST_JSON_OOM_H
#define PT_HOST_JSON_OOM_H

#include <stdbool.h>

void pt_json_oom_begin(void);
bool pt_json_oom(void);

#endif
