/*
 * translation_html.h - `softvt translation-html`: a web page of the blocks
 * `softvt run --show-translation` printed (vmm/translation_html.c).
 */
#ifndef SOFTVT_VMM_TRANSLATION_HTML_H
#define SOFTVT_VMM_TRANSLATION_HTML_H

/* argv[0] is "translation-html"; returns the exit status. */
int translation_html_main(int argc, char **argv);

#endif
