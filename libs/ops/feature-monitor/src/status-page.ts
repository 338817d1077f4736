export const STATUS_PAGE_HTML = '<!doctype html><title>ops</title>';
