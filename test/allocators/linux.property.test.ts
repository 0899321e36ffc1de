import { definePropertySuite } from './support/property-suite.js';

definePropertySuite('linux');
