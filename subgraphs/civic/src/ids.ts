export { isUuid } from '@citypoints/kit';
