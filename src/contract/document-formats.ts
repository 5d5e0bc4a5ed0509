/** The document formats whose content is read apart from their text (their pictures), by MIME type. */
export const PDF_MIME = 'application/pdf';
export const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
