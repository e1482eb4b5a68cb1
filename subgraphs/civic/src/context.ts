export const SCHEMA = 'civic';
export const CITY_CODE = '441900';
