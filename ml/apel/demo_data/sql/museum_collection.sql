-- Assay APEL demo database "museum_collection": museums, artists, artworks and exhibitions.
-- Written for Assay; every museum, artist, artwork and number here is fictional.

CREATE TABLE museum (
    museum_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    city TEXT NOT NULL,
    founded_year INTEGER,
    annual_visitors INTEGER NOT NULL,
    admission_fee REAL NOT NULL
);

CREATE TABLE artist (
    artist_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    birth_year INTEGER NOT NULL,
    death_year INTEGER,
    nationality TEXT NOT NULL
);

CREATE TABLE artwork (
    artwork_id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    artist_id INTEGER,
    year_created INTEGER,
    medium TEXT NOT NULL,
    museum_id INTEGER NOT NULL,
    estimated_value REAL,
    acquired_date TEXT NOT NULL,
    FOREIGN KEY (artist_id) REFERENCES artist (artist_id),
    FOREIGN KEY (museum_id) REFERENCES museum (museum_id)
);

CREATE TABLE exhibition (
    exhibition_id INTEGER PRIMARY KEY,
    museum_id INTEGER NOT NULL,
    title TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    ticket_price REAL NOT NULL,
    FOREIGN KEY (museum_id) REFERENCES museum (museum_id)
);

CREATE TABLE exhibition_artwork (
    exhibition_id INTEGER NOT NULL,
    artwork_id INTEGER NOT NULL,
    PRIMARY KEY (exhibition_id, artwork_id),
    FOREIGN KEY (exhibition_id) REFERENCES exhibition (exhibition_id),
    FOREIGN KEY (artwork_id) REFERENCES artwork (artwork_id)
);

INSERT INTO museum (museum_id, name, city, founded_year, annual_visitors, admission_fee) VALUES
    (1, 'Aldermoor Museum of Art', 'Aldermoor', 1889, 640000, 18.0),
    (2, 'Coastal Heritage Gallery', 'Bayport', 1962, 210000, 12.0),
    (3, 'Museum of Modern Forms', 'Aldermoor', 1978, 455000, 22.0),
    (4, 'Ridgeview Folk Collection', 'Ridgeview', NULL, 48000, 0.0),
    (5, 'Kessler Sculpture Park', 'Bayport', 2001, 210000, 15.0),
    (6, 'Eastgate Photography House', 'Eastgate', 2012, 95000, 10.0),
    (7, 'Northwind Maritime Museum', 'Bayport', 1931, 132000, 12.0),
    (8, 'Marrow Lane Textile House', 'Ridgeview', 1996, 31000, 8.0);

INSERT INTO artist (artist_id, name, birth_year, death_year, nationality) VALUES
    (1, 'Elsbeth Van Rooij', 1841, 1907, 'Dutch'),
    (2, 'Tomasz Wierzbicki', 1902, 1971, 'Polish'),
    (3, 'Adaeze Nwosu', 1975, NULL, 'Nigerian'),
    (4, 'Henri Castaing', 1868, 1931, 'French'),
    (5, 'Margit Halvorsen', 1950, NULL, 'Norwegian'),
    (6, 'Diego Saavedra', 1921, 1988, 'Mexican'),
    (7, 'Yoon Seo-yeon', 1983, NULL, 'Korean'),
    (8, 'Clement Ashby', 1868, 1940, 'British'),
    (9, 'Ines Albuquerque', 1990, NULL, 'Portuguese');

INSERT INTO artwork (
    artwork_id, title, artist_id, year_created, medium, museum_id, estimated_value, acquired_date
) VALUES
    (1, 'Harbour at Dusk', 1, 1879, 'Oil on canvas', 1, 2400000.0, '1921-05-03'),
    (2, 'Two Sisters Reading', 1, 1885, 'Oil on canvas', 1, 1850000.0, '1930-11-12'),
    (3, 'Factory Light', 2, 1934, 'Oil on canvas', 3, 920000.0, '1981-02-20'),
    (4, 'Red Tide', 3, 2009, 'Acrylic', 3, 310000.0, '2011-06-15'),
    (5, 'Orchard in Frost', 4, 1902, 'Watercolor', 1, 430000.0, '1955-09-01'),
    (6, 'Weathered Hull', 5, 1988, 'Bronze', 5, 760000.0, '2003-04-18'),
    (7, 'The Listening Stone', 5, 1996, 'Granite', 5, 540000.0, '2004-07-07'),
    (8, 'Market Day', 6, 1952, 'Tempera', 3, 680000.0, '1990-10-30'),
    (9, 'Neon Rain', 7, 2018, 'Photograph', 6, 45000.0, '2019-03-22'),
    (10, 'Quiet Ferry', 7, 2020, 'Photograph', 6, 38000.0, '2021-01-11'),
    (11, 'The Lighthouse Keeper''s Daughter', 8, 1899, 'Oil on canvas', 2, 1150000.0, '1964-08-25'),
    (12, 'Net Menders', 8, 1904, 'Watercolor', 2, 290000.0, '1963-05-14'),
    (13, 'Carved Bread Board', NULL, NULL, 'Wood', 4, NULL, '1987-06-01'),
    (14, 'Wedding Quilt', NULL, 1890, 'Textile', 4, 15000.0, '1992-03-09'),
    (15, 'Blue Horizon No. 4', 2, 1958, 'Oil on canvas', 3, 1300000.0, '1985-12-02'),
    (16, 'Glass Birds', 9, 2022, 'Glass', 5, 85000.0, '2023-05-19'),
    (17, 'Street Vendors', 6, 1947, 'Oil on canvas', 3, 920000.0, '1999-04-27'),
    (18, 'Salt Flats', 7, 2016, 'Photograph', 6, 45000.0, '2017-08-08'),
    (19, 'Drift', 3, 2014, 'Mixed media', 2, 220000.0, '2015-10-10'),
    (20, 'Tin Lantern', NULL, NULL, 'Metalwork', 4, 4000.0, '1979-02-14'),
    (21, 'Portrait of a Ferryman', 4, 1911, 'Oil on canvas', 1, 980000.0, '1948-06-21'),
    (22, 'Winter Tracks', 9, 2021, 'Photograph', 6, 12000.0, '2022-02-02'),
    (23, 'Ship in a Bottle: Aurora', NULL, 1902, 'Model', 7, 26000.0, '1958-07-14'),
    (24, 'Storm off Gull Point', 8, 1893, 'Oil on canvas', 7, 640000.0, '1970-03-03'),
    (25, 'Indigo Runner', NULL, 1921, 'Textile', 8, 22000.0, '1998-05-05');

INSERT INTO exhibition (exhibition_id, museum_id, title, start_date, end_date, ticket_price) VALUES
    (1, 1, 'Light on the Water', '2023-03-01', '2023-06-30', 25.0),
    (2, 3, 'Mid-Century Visions', '2023-05-15', '2023-09-15', 28.0),
    (3, 6, 'New Lenses', '2023-09-01', '2023-11-30', 14.0),
    (4, 2, 'Fishermen and the Sea', '2023-10-01', '2024-01-31', 16.0),
    (5, 5, 'Forms in the Open Air', '2024-04-01', '2024-09-30', 15.0),
    (6, 1, 'Painters of 1900', '2024-02-10', '2024-05-26', 25.0),
    (7, 4, 'Hands and Homes', '2024-06-01', NULL, 0.0),
    (8, 3, 'Contemporary Voices', '2024-07-01', '2024-10-31', 28.0);

INSERT INTO exhibition_artwork (exhibition_id, artwork_id) VALUES
    (1, 1),
    (1, 2),
    (1, 11),
    (1, 12),
    (2, 3),
    (2, 8),
    (2, 15),
    (2, 17),
    (3, 9),
    (3, 10),
    (3, 18),
    (4, 11),
    (4, 12),
    (4, 1),
    (5, 6),
    (5, 7),
    (5, 16),
    (6, 2),
    (6, 5),
    (6, 21),
    (6, 11),
    (7, 13),
    (7, 14),
    (7, 20),
    (8, 4),
    (8, 19),
    (8, 9),
    (8, 16);
