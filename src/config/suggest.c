/* "Did you mean ...?" for misspelt keys: the closest known key by edit distance. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "config/parser.h"

#define SUGGEST_MAX_DISTANCE 2
#define SUGGEST_MAX_LEN 64

/*
 * Optimal string alignment distance (insertions, deletions, substitutions and
 * swaps of neighbours), ignoring case: "Memory" and "memroy" both find "memory".
 */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];

	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return SIZE_MAX;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			char ca = (char)tolower((unsigned char)a[i - 1]);
			char cb = (char)tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + (ca != cb);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

const char *pt_config_suggest(const char *name, const char *const *known, size_t n)
{
	const char *best = NULL;
	size_t best_d = SUGGEST_MAX_DISTANCE + 1;

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(name, known[i]);

		if (d < best_d) {
			best = known[i];
			best_d = d;
		}
	}
	return best;
}
